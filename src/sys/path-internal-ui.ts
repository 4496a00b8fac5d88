// sys/internal/ui/mounts: how the kv CLI, agents and SDKs detect a mount's type and KV version (spec §2.13).
import { PermissionDeniedError } from '../core/errors.js';
import { definePath, type PathDef } from '../framework/backend.js';
import type { Request } from '../framework/types.js';
import type { SystemContext } from './context.js';
import { mountInfoJSON } from './mount-info.js';

async function visible(ctx: SystemContext, req: Request, mountPath: string, listingVisibility: string): Promise<boolean> {
  if (!req.token) return listingVisibility === 'unauth';
  const acl = await ctx.policies().aclFor(req.token.policies);
  return acl.hasMountAccess(mountPath);
}

export function internalUiPaths(ctx: SystemContext): PathDef[] {
  return [
    definePath({
      pattern: 'internal/ui/mounts/?',
      operations: {
        read: async (req) => {
          const secret: Record<string, unknown> = {};
          const auth: Record<string, unknown> = {};
          for (const m of ctx.mounts().all()) {
            if (m.info.config.listingVisibility === 'hidden' && !req.token) continue;
            if (!(await visible(ctx, req, m.info.path, m.info.config.listingVisibility))) continue;
            const info = mountInfoJSON(m.info, ctx.version);
            if (m.kind === 'auth') auth[m.info.path.slice('auth/'.length)] = info;
            else secret[m.info.path] = info;
          }
          return { data: { secret, auth } };
        },
      },
      help: 'Mounts visible to the caller.',
    }),
    definePath({
      pattern: 'internal/ui/mounts/(?<path>.+)',
      fields: { path: { type: 'string' } },
      operations: {
        read: async (req, d) => {
          const path = d.string('path');
          const denied = () => new PermissionDeniedError(`preflight capability check returned 403, please ensure client's policies grant access to path "${path}"`);
          const routed = ctx.mounts().match(path.endsWith('/') ? path : `${path}/`);
          if (!req.token || !routed) throw denied();
          const acl = await ctx.policies().aclFor(req.token.policies);
          if (!acl.hasMountAccess(routed.mount.info.path)) throw denied();
          return { data: { ...mountInfoJSON(routed.mount.info, ctx.version), path: routed.mount.info.path } };
        },
      },
      help: 'The mount that contains a path.',
    }),
  ];
}
