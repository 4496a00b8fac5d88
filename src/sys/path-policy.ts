// sys/policy (legacy, "rules") and sys/policies/acl ("policy") CRUD (spec §2.5).
import { InvalidRequestError, NotFoundError } from '../core/errors.js';
import { definePath, type PathDef } from '../framework/backend.js';
import type { Response } from '../framework/types.js';
import type { SystemContext } from './context.js';
import { decodePolicyText } from '../policy/parse.js';

function normaliseName(raw: string): { name: string; warning?: string } {
  const name = raw.trim().toLowerCase();
  if (name === '') throw new InvalidRequestError('policy name must be provided');
  return name === raw ? { name } : { name, warning: `policy name was converted to "${name}"` };
}

function policyPaths(ctx: SystemContext, base: string, textKey: 'rules' | 'policy'): PathDef[] {
  const listing = async (): Promise<Response> => {
    const names = await ctx.policies().list();
    return textKey === 'rules' ? { data: { keys: names, policies: names } } : { data: { keys: names } };
  };
  return [
    definePath({
      pattern: `${base}/?`,
      operations: textKey === 'rules' ? { read: listing, list: listing } : { list: listing },
      help: 'List the configured ACL policies.',
    }),
    definePath({
      pattern: `${base}/(?<name>.+)`,
      fields: { name: { type: 'string' }, policy: { type: 'string' }, rules: { type: 'string' } },
      operations: {
        read: async (_req, d) => {
          const { name } = normaliseName(d.string('name'));
          if (name === 'root') return { data: { name: 'root', [textKey]: '' } };
          const p = await ctx.policies().get(name);
          if (!p) throw new NotFoundError();
          return { data: { name: p.name, [textKey]: p.policy } };
        },
        update: async (_req, d) => {
          const { name, warning } = normaliseName(d.string('name'));
          const text = d.has('policy') ? d.string('policy') : d.string('rules');
          if (!d.has('policy') && !d.has('rules')) throw new InvalidRequestError("'policy' parameter not supplied or empty");
          await ctx.policies().set(name, decodePolicyText(text));
          return warning ? { warnings: [warning] } : undefined;
        },
        delete: async (_req, d) => {
          await ctx.policies().delete(normaliseName(d.string('name')).name);
          return undefined;
        },
      },
      help: 'Read, write or delete an ACL policy.',
    }),
  ];
}

export function policyEndpoints(ctx: SystemContext): PathDef[] {
  return [...policyPaths(ctx, 'policy', 'rules'), ...policyPaths(ctx, 'policies/acl', 'policy')];
}
