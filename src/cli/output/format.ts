// Rendering of API results for the terminal: `-format=table|json|yaml` and `-field=NAME`, close to
// what the Vault CLI prints (Key/Value tables, Go-style values, TTL-looking keys as durations).
import type { Secret } from '../../client/client.js';
import { toJson } from './json.js';
import { keyValueTable, table } from './table.js';
import { toYaml } from './yaml.js';

export const FORMATS = ['table', 'json', 'yaml'] as const;
export type Format = (typeof FORMATS)[number];

export function isFormat(s: string): s is Format {
  return (FORMATS as readonly string[]).includes(s);
}

/** Serialises any value in a machine format; `table` callers use the dedicated renderers. */
export function renderValue(value: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? toJson(value) : toYaml(value);
}

/** Go's `%v` for decoded JSON: `<nil>`, `[a b]`, `map[k:v]` (sorted keys). */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(' ')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${formatValue((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  }
  return String(v);
}

/** Go's `%q` for a string list: `["a" "b"]`. */
export function quotedList(v: readonly string[] | null | undefined): string {
  return `[${(v ?? []).map((s) => JSON.stringify(s)).join(' ')}]`;
}

/** Seconds as Vault prints them: 2764800 → "768h", 90 → "1m30s", 3630 → "1h30s", 0 → "0s". */
export function humanDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  if (seconds === 0) return '0s';
  const neg = seconds < 0;
  let rest = Math.abs(Math.trunc(seconds));
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  let out = h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
  if (out.endsWith('m0s')) out = out.slice(0, -2);
  const i = out.indexOf('h0m');
  if (i > 0) out = out.slice(0, i + 1) + out.slice(i + 3);
  return (neg ? '-' : '') + out;
}

/** Keys whose integer values the Vault CLI shows as durations. */
export function looksLikeDuration(key: string): boolean {
  return key === 'period' || key.endsWith('_period') || key === 'ttl' || key.endsWith('_ttl')
    || key.endsWith('_duration') || key === 'lease_max' || key === 'ttl_max';
}

function durationOrValue(key: string, v: unknown): string {
  if (looksLikeDuration(key)) {
    if (typeof v === 'number' && Number.isInteger(v)) return humanDuration(v);
    if (typeof v === 'string' && /^-?\d+$/.test(v)) return humanDuration(Number.parseInt(v, 10));
  }
  return formatValue(v);
}

/** True for the standard response envelope; false for the bare objects some sys endpoints return. */
export function isEnvelope(body: unknown): body is Secret {
  if (body === null || typeof body !== 'object') return false;
  return 'request_id' in body || 'lease_duration' in body || 'auth' in body || 'wrap_info' in body;
}

/** Rows for a data map: sorted keys, durations humanised. */
export function dataRows(data: Record<string, unknown> | null | undefined): [string, string][] {
  if (!data) return [];
  return Object.keys(data).sort().map((k) => [k, durationOrValue(k, data[k])]);
}

/** The rows Vault's table formatter prints for a secret: lease, auth, wrap info, then data. */
export function secretRows(secret: Secret): [string, string][] {
  const rows: [string, string][] = [];
  if (secret.lease_duration > 0) {
    if (secret.lease_id) {
      rows.push(['lease_id', secret.lease_id], ['lease_duration', humanDuration(secret.lease_duration)], ['lease_renewable', String(secret.renewable)]);
    } else {
      rows.push(['refresh_interval', humanDuration(secret.lease_duration)]);
    }
  }
  const auth = secret.auth;
  if (auth) {
    if (auth.client_token) rows.push(['token', auth.client_token]);
    rows.push(['token_accessor', auth.accessor ?? '']);
    rows.push(['token_duration', auth.lease_duration === 0 ? '∞' : humanDuration(auth.lease_duration)]);
    rows.push(['token_renewable', String(auth.renewable)]);
    rows.push(['token_policies', quotedList(auth.token_policies)]);
    rows.push(['identity_policies', quotedList(auth.identity_policies)]);
    rows.push(['policies', quotedList(auth.policies)]);
    for (const k of Object.keys(auth.metadata ?? {}).sort()) rows.push([`token_meta_${k}`, auth.metadata![k]!]);
  }
  const wrap = secret.wrap_info;
  if (wrap) {
    rows.push(['wrapping_token:', wrap.token], ['wrapping_accessor:', wrap.accessor], ['wrapping_token_ttl:', humanDuration(wrap.ttl)],
      ['wrapping_token_creation_time:', wrap.creation_time], ['wrapping_token_creation_path:', wrap.creation_path]);
    if (wrap.wrapped_accessor) rows.push(['wrapped_accessor:', wrap.wrapped_accessor]);
  }
  rows.push(...dataRows(secret.data));
  return rows;
}

/** The Key/Value table for a secret ("" when there is nothing to show). */
export function secretTable(secret: Secret): string {
  const rows = secretRows(secret);
  return rows.length === 0 ? '' : keyValueTable(rows);
}

/** The warnings block Vault prints (to stderr) with table output. */
export function warningsText(warnings: readonly string[] | null | undefined): string {
  if (!warnings || warnings.length === 0) return '';
  return `WARNING! The following warnings were returned from the server:\n\n${warnings.map((w) => `  * ${w}`).join('\n\n')}\n\n`;
}

/** A one-column `Keys` table for LIST results. */
export function keysTable(keys: readonly string[]): string {
  return table(['Keys'], keys.map((k) => [k]));
}

/** Looks a -field up as Vault does: auth and wrap pseudo-fields first, then lease fields, then data. */
export function secretField(secret: Secret, field: string): { found: boolean; value: unknown } {
  const auth = secret.auth;
  if (auth) {
    const map: Record<string, unknown> = {
      token: auth.client_token, token_accessor: auth.accessor, token_duration: humanDuration(auth.lease_duration),
      token_renewable: auth.renewable, token_policies: auth.token_policies ?? [], identity_policies: auth.identity_policies ?? [],
      policies: auth.policies ?? [],
    };
    if (field in map) return { found: true, value: map[field] };
    if (field.startsWith('token_meta_') && auth.metadata && field.slice(11) in auth.metadata) return { found: true, value: auth.metadata[field.slice(11)] };
  }
  const wrap = secret.wrap_info;
  if (wrap) {
    const map: Record<string, unknown> = {
      wrapping_token: wrap.token, wrapping_accessor: wrap.accessor, wrapping_token_ttl: humanDuration(wrap.ttl),
      wrapping_token_creation_time: wrap.creation_time, wrapping_token_creation_path: wrap.creation_path, wrapped_accessor: wrap.wrapped_accessor,
    };
    if (field in map) return { found: true, value: map[field] };
  }
  if (field === 'refresh_interval' && secret.lease_duration > 0) return { found: true, value: humanDuration(secret.lease_duration) };
  if (field === 'lease_id' && secret.lease_id) return { found: true, value: secret.lease_id };
  if (field === 'lease_duration' && secret.lease_id) return { found: true, value: humanDuration(secret.lease_duration) };
  if (field === 'lease_renewable' && secret.lease_id) return { found: true, value: secret.renewable };
  return dataField(secret.data, field);
}

export function dataField(data: Record<string, unknown> | null | undefined, field: string): { found: boolean; value: unknown } {
  if (data && Object.prototype.hasOwnProperty.call(data, field)) return { found: true, value: data[field] };
  return { found: false, value: undefined };
}

/**
 * A -field value on its own: strings raw; other values as JSON when the format is json (or for
 * maps and lists, which have no useful plain form), otherwise as Go prints them.
 */
export function rawField(value: unknown, format: Format): string {
  if (typeof value === 'string') return value;
  if (format === 'yaml') return toYaml(value).replace(/\n$/, '');
  if (format === 'json' || (value !== null && typeof value === 'object')) return JSON.stringify(value);
  return formatValue(value);
}
