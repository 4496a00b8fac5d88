// sys/mounts, sys/auth and their tune endpoints (spec §2.3, §2.4).
import { InvalidRequestError } from '../core/errors.js';
import { definePath, type PathDef } from '../framework/backend.js';
import type { MountKind } from '../router/mount-table.js';
import type { SystemContext } from './context.js';
import { mountInfoJSON, parseMountConfig, parseOptions } from './mount-info.js';

/** kv-v1 / kv-v2 are aliases that set options.version; generic is the legacy name of kv. */
function resolveType(type: string, options: Record<string, string> | undefined): { type: string; options: Record<string, string> | undefined } {
  if (type === 'kv-v1') return { type: 'kv', options: { ...options, version: '1' } };
  if (type === 'kv-v2') return { type: 'kv', options: { ...options, version: '2' } };
  return { type, options };
}

function tablePaths(ctx: SystemContext, kind: MountKind, prefix: string): PathDef[] {
  const strip = (p: string) => (kind === 'auth' ? p.slice('auth/'.length) : p);
  return [
    definePath({
      pattern: prefix.slice(0, -1) + '/?',
      operations: {
        read: async () => {
          const data: Record<string, unknown> = {};
          for (const m of ctx.mounts().list(kind)) data[strip(m.info.path)] = mountInfoJSON(m.info, ctx.version);
          return { data };
        },
      },
      help: kind === 'auth' ? 'List the enabled auth methods.' : 'List the mounted secrets engines.',
    }),
    definePath({
      pattern: `${prefix}(?<path>.+?)/tune/?`,
      fields: {
        path: { type: 'string' }, description: { type: 'string' }, default_lease_ttl: { type: 'raw' }, max_lease_ttl: { type: 'raw' },
        options: { type: 'raw' }, audit_non_hmac_request_keys: { type: 'raw' }, audit_non_hmac_response_keys: { type: 'raw' },
        listing_visibility: { type: 'raw' }, passthrough_request_headers: { type: 'raw' }, allowed_response_headers: { type: 'raw' },
        force_no_cache: { type: 'raw' }, plugin_version: { type: 'string' }, token_type: { type: 'string' },
      },
      operations: {
        read: async (_req, d) => {
          const t = tuneTarget(kind, d.string('path'));
          const m = ctx.mounts().get(t.kind, t.path);
          if (!m) throw new InvalidRequestError(`cannot fetch sysview for path "${d.string('path')}"`);
          const info = mountInfoJSON(m.info, ctx.version, {
            defaultLeaseTTL: m.info.config.defaultLeaseTTL || ctx.mounts().systemDefaults.defaultLeaseTTL,
            maxLeaseTTL: m.info.config.maxLeaseTTL || ctx.mounts().systemDefaults.maxLeaseTTL,
          });
          const config = info['config'] as Record<string, unknown>;
          return { data: { ...config, description: info['description'], options: info['options'] } };
        },
        update: async (req, d) => {
          const t = tuneTarget(kind, d.string('path'));
          if (!ctx.mounts().get(t.kind, t.path)) throw new InvalidRequestError(`no mount at "${t.path}"`);
          const config = parseMountConfig(req.data);
          const options = parseOptions(req.data['options']);
          await ctx.mounts().tune(t.kind, t.path, { description: d.has('description') ? d.string('description') : undefined, config, options });
          return undefined;
        },
      },
      help: 'Tune a mount: TTLs, description, options.',
    }),
    definePath({
      pattern: `${prefix}(?<path>.+)`,
      fields: {
        path: { type: 'string' }, type: { type: 'string' }, description: { type: 'string' }, config: { type: 'raw' },
        options: { type: 'raw' }, local: { type: 'bool' }, seal_wrap: { type: 'bool' }, external_entropy_access: { type: 'bool' },
        plugin_name: { type: 'string' }, plugin_version: { type: 'string' },
      },
      operations: {
        read: async (_req, d) => {
          const m = ctx.mounts().get(kind, normal(d.string('path')));
          if (!m) throw new InvalidRequestError(`No ${kind === 'auth' ? 'auth' : 'secret engine'} mount at ${d.string('path')}`);
          return { data: mountInfoJSON(m.info, ctx.version) };
        },
        update: async (_req, d) => {
          const rawType = d.string('type') || d.string('plugin_name');
          if (rawType === '') throw new InvalidRequestError('backend type must be specified as a string');
          const { type, options } = resolveType(rawType, parseOptions(d.rawValue('options')));
          await ctx.mounts().mount(kind, d.string('path'), {
            type, description: d.string('description'), config: parseMountConfig(d.rawValue('config')), options,
            local: d.bool('local'), sealWrap: d.bool('seal_wrap'),
          });
          return undefined;
        },
        delete: async (_req, d) => {
          const removed = await ctx.mounts().unmount(kind, d.string('path'));
          if (removed && kind === 'auth') await ctx.revokeByPath?.(removed.info.path);
          return undefined;
        },
      },
      help: kind === 'auth' ? 'Enable or disable an auth method.' : 'Mount or unmount a secrets engine.',
    }),
  ];
}

/** sys/mounts/auth/<path>/tune tunes an auth method, as Vault allows. */
function tuneTarget(kind: MountKind, raw: string): { kind: MountKind; path: string } {
  const path = normal(raw);
  if (kind === 'secret' && path.startsWith('auth/')) return { kind: 'auth', path: path.slice('auth/'.length) };
  return { kind, path };
}

function normal(p: string): string {
  return p.endsWith('/') ? p : `${p}/`;
}

export function mountPaths(ctx: SystemContext): PathDef[] {
  return [...tablePaths(ctx, 'secret', 'mounts/'), ...tablePaths(ctx, 'auth', 'auth/')];
}

