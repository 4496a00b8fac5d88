// Mount entries as sys/mounts, sys/auth and sys/internal/ui/mounts show them.
import type { MountConfig, MountInfo } from '../framework/types.js';
import { InvalidRequestError } from '../core/errors.js';
import { parseDurationSeconds } from '../lib/duration.js';
import { parseBool } from '../framework/field-types.js';

export const RUNNING_PLUGIN_VERSION_SUFFIX = '+builtin.vault';

export function mountInfoJSON(info: MountInfo, version: string, effective?: { defaultLeaseTTL: number; maxLeaseTTL: number }): Record<string, unknown> {
  const c = info.config;
  const config: Record<string, unknown> = {
    default_lease_ttl: effective ? effective.defaultLeaseTTL : c.defaultLeaseTTL,
    max_lease_ttl: effective ? effective.maxLeaseTTL : c.maxLeaseTTL,
    force_no_cache: c.forceNoCache,
  };
  if (c.auditNonHMACRequestKeys.length) config['audit_non_hmac_request_keys'] = c.auditNonHMACRequestKeys;
  if (c.auditNonHMACResponseKeys.length) config['audit_non_hmac_response_keys'] = c.auditNonHMACResponseKeys;
  if (c.listingVisibility) config['listing_visibility'] = c.listingVisibility;
  if (c.passthroughRequestHeaders.length) config['passthrough_request_headers'] = c.passthroughRequestHeaders;
  if (c.allowedResponseHeaders.length) config['allowed_response_headers'] = c.allowedResponseHeaders;
  if (info.path.startsWith('auth/')) config['token_type'] = 'default-service';
  return {
    accessor: info.accessor,
    config,
    description: info.description,
    external_entropy_access: false,
    local: info.local,
    options: Object.keys(info.options).length ? info.options : null,
    plugin_version: '',
    running_plugin_version: `v${version}${RUNNING_PLUGIN_VERSION_SUFFIX}`,
    running_sha256: '',
    seal_wrap: info.sealWrap,
    type: info.type,
    uuid: info.uuid,
  };
}

function stringList(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw new InvalidRequestError(`invalid ${field}: expected a list of strings`);
}

function ttl(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (v === 'system') return 0;
  return parseDurationSeconds(v, field);
}

/** Parses the `config` object of a mount request (enable or tune); only supplied knobs are returned. */
export function parseMountConfig(raw: unknown): Partial<MountConfig> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidRequestError('config must be an object');
  // A knob given as JSON null is not set, as on every other field.
  const r = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== null));
  const out: Partial<MountConfig> = {};
  const def = ttl(r['default_lease_ttl'], 'default_lease_ttl');
  if (def !== undefined) out.defaultLeaseTTL = def;
  const max = ttl(r['max_lease_ttl'], 'max_lease_ttl');
  if (max !== undefined) out.maxLeaseTTL = max;
  if (r['force_no_cache'] !== undefined) out.forceNoCache = parseBool(r['force_no_cache'], 'force_no_cache');
  if (r['audit_non_hmac_request_keys'] !== undefined) out.auditNonHMACRequestKeys = stringList(r['audit_non_hmac_request_keys'], 'audit_non_hmac_request_keys');
  if (r['audit_non_hmac_response_keys'] !== undefined) out.auditNonHMACResponseKeys = stringList(r['audit_non_hmac_response_keys'], 'audit_non_hmac_response_keys');
  if (r['passthrough_request_headers'] !== undefined) out.passthroughRequestHeaders = stringList(r['passthrough_request_headers'], 'passthrough_request_headers');
  if (r['allowed_response_headers'] !== undefined) out.allowedResponseHeaders = stringList(r['allowed_response_headers'], 'allowed_response_headers');
  if (r['listing_visibility'] !== undefined) {
    const lv = r['listing_visibility'];
    if (lv !== '' && lv !== 'unauth' && lv !== 'hidden') throw new InvalidRequestError('listing_visibility must be "unauth", "hidden" or ""');
    out.listingVisibility = lv;
  }
  if (out.defaultLeaseTTL && out.maxLeaseTTL && out.defaultLeaseTTL > out.maxLeaseTTL) {
    throw new InvalidRequestError('default lease TTL cannot be greater than max lease TTL');
  }
  return out;
}

export function parseOptions(raw: unknown): Record<string, string> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidRequestError('options must be a map of strings');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (v === null) continue; // not set
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    else throw new InvalidRequestError('options must be a map of strings');
  }
  return out;
}
