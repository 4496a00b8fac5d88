// What `secrets` and `auth` share: enable/disable/list/tune/move of a mount table (sys/mounts or
// sys/auth), the mount flags, the request body they build and the list tables.
import { humanDuration } from '../output/format.js';
import { table } from '../output/table.js';
import { CliError, EXIT_API, EXIT_OK, UsageError } from './errors.js';
import type { FlagSpec } from './flags.js';
import { durationValue } from './kv-args.js';
import { HTTP_FLAGS, OUTPUT_FLAGS, type Command, type Ctx } from './runtime.js';

export type MountKind = 'secrets' | 'auth';

interface MountInfo {
  type?: string;
  description?: string;
  accessor?: string;
  local?: boolean;
  seal_wrap?: boolean;
  external_entropy_access?: boolean;
  uuid?: string;
  options?: Record<string, string> | null;
  running_plugin_version?: string;
  config?: { default_lease_ttl?: number; max_lease_ttl?: number; force_no_cache?: boolean; token_type?: string; listing_visibility?: string };
}

const CONFIG_FLAGS: readonly FlagSpec[] = [
  { name: 'description', kind: 'string', value: 'TEXT', usage: 'Human-friendly description.' },
  { name: 'default-lease-ttl', kind: 'string', value: 'DURATION', usage: 'Default lease TTL (0 = the system default, 768h).' },
  { name: 'max-lease-ttl', kind: 'string', value: 'DURATION', usage: 'Maximum lease TTL (0 = the system maximum, 768h).' },
  { name: 'options', kind: 'map', usage: 'Mount option KEY=VALUE (e.g. version=2); repeatable.' },
  { name: 'listing-visibility', kind: 'string', value: 'unauth|hidden', usage: 'Whether the UI lists the mount to unauthenticated users.' },
  { name: 'audit-non-hmac-request-keys', kind: 'list', value: 'KEY', usage: 'Request keys not HMAC\'d in audit logs; repeatable.' },
  { name: 'audit-non-hmac-response-keys', kind: 'list', value: 'KEY', usage: 'Response keys not HMAC\'d in audit logs; repeatable.' },
  { name: 'passthrough-request-headers', kind: 'list', value: 'HEADER', usage: 'Request headers passed to the backend; repeatable.' },
  { name: 'allowed-response-headers', kind: 'list', value: 'HEADER', usage: 'Response headers the backend may set; repeatable.' },
];

const SECRETS_ONLY: readonly FlagSpec[] = [
  { name: 'version', kind: 'int', usage: 'KV version: -version=2 is the same as -options=version=2.' },
  { name: 'force-no-cache', kind: 'bool', usage: 'Disable caching for this mount.' },
];

const AUTH_ONLY: readonly FlagSpec[] = [
  { name: 'token-type', kind: 'string', value: 'TYPE', usage: 'Type of tokens issued: default-service, default-batch, service or batch.' },
];

const ENABLE_FLAGS: readonly FlagSpec[] = [
  { name: 'path', kind: 'string', value: 'PATH', usage: 'Where to mount it (default: the type name).' },
  { name: 'local', kind: 'bool', usage: 'Mark the mount local-only (not replicated).' },
  { name: 'seal-wrap', kind: 'bool', usage: 'Enable seal wrapping for the mount.' },
  { name: 'plugin-name', kind: 'string', value: 'NAME', usage: 'Plugin name, when it differs from TYPE.' },
];

function configBody(ctx: Ctx, kind: MountKind): Record<string, unknown> {
  const p = ctx.p;
  const config: Record<string, unknown> = {};
  if (p.has('default-lease-ttl')) config['default_lease_ttl'] = durationValue(p.str('default-lease-ttl')!);
  if (p.has('max-lease-ttl')) config['max_lease_ttl'] = durationValue(p.str('max-lease-ttl')!);
  if (p.has('listing-visibility')) config['listing_visibility'] = p.str('listing-visibility');
  if (p.has('audit-non-hmac-request-keys')) config['audit_non_hmac_request_keys'] = p.list('audit-non-hmac-request-keys');
  if (p.has('audit-non-hmac-response-keys')) config['audit_non_hmac_response_keys'] = p.list('audit-non-hmac-response-keys');
  if (p.has('passthrough-request-headers')) config['passthrough_request_headers'] = p.list('passthrough-request-headers');
  if (p.has('allowed-response-headers')) config['allowed_response_headers'] = p.list('allowed-response-headers');
  if (kind === 'secrets' && p.has('force-no-cache')) config['force_no_cache'] = p.bool('force-no-cache');
  if (kind === 'auth' && p.has('token-type')) config['token_type'] = p.str('token-type');
  return config;
}

function optionsBody(ctx: Ctx, kind: MountKind): Record<string, string> | undefined {
  const options = { ...ctx.p.map('options') };
  if (kind === 'secrets' && ctx.p.has('version')) options['version'] = String(ctx.p.int('version'));
  return Object.keys(options).length > 0 ? options : undefined;
}

function mountPath(raw: string): string {
  const p = raw.replace(/^\/+|\/+$/g, '');
  if (p === '') throw new UsageError('the mount path is empty');
  return p;
}

const NOUN: Record<MountKind, { table: string; label: (type: string) => string; disabled: string }> = {
  secrets: { table: 'sys/mounts', label: (t) => `the ${t} secrets engine`, disabled: 'the secrets engine' },
  auth: { table: 'sys/auth', label: (t) => `${t} auth method`, disabled: 'the auth method' },
};

export function enableCommand(kind: MountKind): Command {
  return {
    def: {
      name: `${kind} enable`,
      args: 'TYPE',
      summary: kind === 'secrets' ? 'Enable a secrets engine (kv, kv-v2, transit, …) at a path.' : 'Enable an auth method (userpass, approle, …) at a path.',
      flags: [...ENABLE_FLAGS, ...CONFIG_FLAGS, ...(kind === 'secrets' ? SECRETS_ONLY : AUTH_ONLY), ...HTTP_FLAGS],
      minArgs: 1,
      maxArgs: 1,
    },
    async run(ctx) {
      const type = ctx.args[0]!;
      const path = mountPath(ctx.p.str('path') ?? type);
      const body: Record<string, unknown> = { type, config: configBody(ctx, kind) };
      if (ctx.p.has('description')) body['description'] = ctx.p.str('description');
      const options = optionsBody(ctx, kind);
      if (options) body['options'] = options;
      if (ctx.p.has('local')) body['local'] = ctx.p.bool('local');
      if (ctx.p.has('seal-wrap')) body['seal_wrap'] = ctx.p.bool('seal-wrap');
      if (ctx.p.has('plugin-name')) body['plugin_name'] = ctx.p.str('plugin-name');
      await ctx.client.write(`${NOUN[kind].table}/${path}`, body);
      ctx.success(`Success! Enabled ${NOUN[kind].label(type)} at: ${path}/`);
      return EXIT_OK;
    },
  };
}

export function disableCommand(kind: MountKind): Command {
  return {
    def: {
      name: `${kind} disable`,
      args: 'PATH',
      summary: kind === 'secrets' ? 'Disable the secrets engine at PATH, deleting its data and revoking its leases.' : 'Disable the auth method at PATH, revoking the tokens it issued.',
      flags: [...HTTP_FLAGS],
      minArgs: 1,
      maxArgs: 1,
    },
    async run(ctx) {
      const path = mountPath(ctx.args[0]!);
      await ctx.client.delete(`${NOUN[kind].table}/${path}`);
      ctx.success(`Success! Disabled ${NOUN[kind].disabled} (if it existed) at: ${path}/`);
      return EXIT_OK;
    },
  };
}

function ttlCell(v: number | undefined): string {
  return v === undefined || v === 0 ? 'system' : humanDuration(v);
}

function optionsCell(o: Record<string, string> | null | undefined): string {
  if (!o || Object.keys(o).length === 0) return 'n/a';
  return `map[${Object.keys(o).sort().map((k) => `${k}:${o[k]}`).join(' ')}]`;
}

/** The mount map of a sys/mounts or sys/auth answer (`data`, else the legacy top-level copy). */
export function mountMap(body: Record<string, unknown> | null): Record<string, MountInfo> {
  const data = body?.['data'];
  const source = data && typeof data === 'object' ? (data as Record<string, unknown>) : body ?? {};
  const out: Record<string, MountInfo> = {};
  for (const [k, v] of Object.entries(source)) if (k.endsWith('/') && v && typeof v === 'object') out[k] = v as MountInfo;
  return out;
}

export function mountRows(kind: MountKind, mounts: Record<string, MountInfo>, detailed: boolean): string {
  const paths = Object.keys(mounts).sort();
  if (!detailed) {
    return table(['Path', 'Type', 'Accessor', 'Description'], paths.map((p) => {
      const m = mounts[p]!;
      return [p, m.type ?? '', m.accessor ?? '', m.description ?? ''];
    }));
  }
  const header = ['Path', 'Plugin', 'Accessor', 'Default TTL', 'Max TTL', ...(kind === 'auth' ? ['Token Type'] : ['Force No Cache']), 'Replication', 'Seal Wrap', 'External Entropy Access', 'Options', 'Description', 'UUID', 'Running Version'];
  return table(header, paths.map((p) => {
    const m = mounts[p]!;
    const c = m.config ?? {};
    return [p, m.type ?? '', m.accessor ?? '', ttlCell(c.default_lease_ttl), ttlCell(c.max_lease_ttl),
      kind === 'auth' ? c.token_type ?? '' : String(c.force_no_cache ?? false),
      m.local ? 'local' : 'replicated', String(m.seal_wrap ?? false), String(m.external_entropy_access ?? false),
      optionsCell(m.options), m.description ?? '', m.uuid ?? '', m.running_plugin_version ?? ''];
  }));
}

export function listCommand(kind: MountKind): Command {
  return {
    def: {
      name: `${kind} list`,
      args: '',
      summary: kind === 'secrets' ? 'List the enabled secrets engines.' : 'List the enabled auth methods.',
      flags: [{ name: 'detailed', kind: 'bool', usage: 'Show TTLs, options, replication and more.' }, ...HTTP_FLAGS, OUTPUT_FLAGS[0]!],
      maxArgs: 0,
    },
    async run(ctx) {
      const res = await ctx.client.request<Record<string, unknown>>('GET', NOUN[kind].table);
      const mounts = mountMap(res.body);
      if (ctx.format !== 'table') {
        ctx.printData(mounts);
        return EXIT_OK;
      }
      if (Object.keys(mounts).length === 0) throw new CliError(`no ${kind === 'secrets' ? 'secrets engines' : 'auth methods'} are enabled`, [], EXIT_API);
      ctx.print(mountRows(kind, mounts, ctx.p.bool('detailed')));
      return EXIT_OK;
    },
  };
}

export function tuneCommand(kind: MountKind): Command {
  return {
    def: {
      name: `${kind} tune`,
      args: 'PATH',
      summary: kind === 'secrets' ? 'Change the settings of the secrets engine at PATH.' : 'Change the settings of the auth method at PATH.',
      flags: [...CONFIG_FLAGS, ...(kind === 'secrets' ? SECRETS_ONLY : AUTH_ONLY), ...HTTP_FLAGS],
      minArgs: 1,
      maxArgs: 1,
    },
    async run(ctx) {
      const path = mountPath(ctx.args[0]!);
      const body = configBody(ctx, kind);
      if (ctx.p.has('description')) body['description'] = ctx.p.str('description');
      const options = optionsBody(ctx, kind);
      if (options) body['options'] = options;
      if (Object.keys(body).length === 0) throw new UsageError('nothing to tune', [`run "coffer ${kind} tune -help" for the settings`]);
      const tunePath = kind === 'secrets' ? `sys/mounts/${path}/tune` : `sys/mounts/auth/${path}/tune`;
      await ctx.client.write(tunePath, body);
      ctx.success(`Success! Tuned ${NOUN[kind].disabled} at: ${path}/`);
      return EXIT_OK;
    },
  };
}

interface MigrationStatus {
  migration_id?: string;
  migration_info?: { source_mount?: string; target_mount?: string; status?: string; status_message?: string };
}

/** `secrets move` / `auth move`: sys/remount, then sys/remount/status/<id> until the move has finished. */
export function moveCommand(kind: MountKind, pollMs = 250): Command {
  const what = kind === 'secrets' ? 'secrets engine' : 'auth method';
  return {
    def: {
      name: `${kind} move`,
      args: 'SOURCE DESTINATION',
      summary: kind === 'secrets'
        ? 'Move the secrets engine at SOURCE to DESTINATION, with its data; its leases are revoked.'
        : 'Move the auth method at SOURCE to DESTINATION, with its configuration; the tokens it issued are revoked.',
      flags: [...HTTP_FLAGS],
      minArgs: 2,
      maxArgs: 2,
    },
    async run(ctx) {
      // Auth methods may be named with or without their auth/ prefix, as with the Vault CLI.
      const full = (raw: string) => {
        const p = mountPath(raw);
        return kind === 'auth' && !p.startsWith('auth/') ? `auth/${p}` : p;
      };
      const from = full(ctx.args[0]!);
      const to = full(ctx.args[1]!);
      const started = await ctx.client.write<{ migration_id?: string }>('sys/remount', { from, to });
      const id = started?.data?.migration_id;
      if (!id) throw new CliError('the server did not return a migration ID', ['the server may be too old for sys/remount/status'], EXIT_API);
      for (;;) {
        const status = await ctx.client.read<MigrationStatus>(`sys/remount/status/${id}`);
        const info = status?.data?.migration_info;
        if (info?.status === 'success') break;
        if (info?.status === 'failure') {
          throw new CliError(`moving ${what} ${from}/ to ${to}/ failed (migration ID ${id})${info.status_message ? `: ${info.status_message}` : ''}`, [], EXIT_API);
        }
        if (!info) throw new CliError(`the server no longer knows migration ID ${id}`, [`check "coffer ${kind} list" to see where the mount is`], EXIT_API);
        await new Promise((r) => setTimeout(r, pollMs));
      }
      ctx.success(`Success! Finished moving ${what} ${from}/ to ${to}/, with migration ID ${id}`);
      return EXIT_OK;
    },
  };
}
