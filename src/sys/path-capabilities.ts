// sys/capabilities, sys/capabilities-self, sys/capabilities-accessor (spec §2.6).
import { InvalidRequestError } from '../core/errors.js';
import { definePath, type PathDef } from '../framework/backend.js';
import type { FieldData } from '../framework/field-data.js';
import type { SystemContext } from './context.js';

const FIELDS = {
  paths: { type: 'comma-string-slice' as const },
  path: { type: 'comma-string-slice' as const },
  token: { type: 'string' as const },
  accessor: { type: 'string' as const },
};

async function answer(ctx: SystemContext, policies: string[], d: FieldData) {
  const paths = [...d.strings('paths'), ...d.strings('path')];
  if (paths.length === 0) throw new InvalidRequestError('missing paths');
  if (paths.length > 1000) throw new InvalidRequestError('too many paths');
  const acl = await ctx.policies().aclFor(policies);
  const data: Record<string, unknown> = {};
  for (const p of paths) data[p] = acl.capabilities(p.replace(/^\/+/, ''));
  if (paths.length === 1) data['capabilities'] = data[paths[0]!];
  return { data };
}

export function capabilityPaths(ctx: SystemContext): PathDef[] {
  return [
    definePath({
      pattern: 'capabilities-self',
      fields: FIELDS,
      operations: { update: async (req, d) => answer(ctx, req.token?.policies ?? [], d) },
      help: 'Capabilities of the calling token on the given paths.',
    }),
    definePath({
      pattern: 'capabilities',
      fields: FIELDS,
      operations: {
        update: async (_req, d) => {
          const policies = await ctx.tokenPolicies(d.string('token'));
          if (!policies) throw new InvalidRequestError('invalid token');
          return answer(ctx, policies, d);
        },
      },
      help: 'Capabilities of a token on the given paths.',
    }),
    definePath({
      pattern: 'capabilities-accessor',
      fields: FIELDS,
      operations: {
        update: async (_req, d) => {
          const policies = await ctx.accessorPolicies(d.string('accessor'));
          if (!policies) throw new InvalidRequestError('invalid accessor');
          return answer(ctx, policies, d);
        },
      },
      help: 'Capabilities of the token with the given accessor on the given paths.',
    }),
  ];
}
