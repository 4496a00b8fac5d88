// auth/token/revoke, revoke-self, revoke-accessor, revoke-orphan. All answer 204.
import { InvalidRequestError } from '../../core/errors.js';
import { definePath, type PathDef } from '../../framework/backend.js';
import type { Response } from '../../framework/types.js';
import { accessorField, callerIsSudo, type TokenPathContext } from './common.js';

export function revokePaths(ctx: TokenPathContext): PathDef[] {
  async function revokeToken(token: string): Promise<Response | undefined> {
    // Unknown tokens are not an error (revocation is idempotent), batch tokens cannot be revoked.
    const entry = await ctx.store.lookupIncludingLastUse(token);
    if (!entry) return undefined;
    if (entry.type === 'batch') throw new InvalidRequestError('batch tokens cannot be revoked');
    await ctx.store.revokeTree(entry);
    return undefined;
  }

  const tokenField = { token: { type: 'string', description: 'Token to revoke (request body).' } } as const;

  return [
    definePath({
      pattern: 'revoke',
      fields: tokenField,
      operations: {
        update: async (_req, f) => {
          const token = f.string('token');
          if (token === '') throw new InvalidRequestError('missing token ID');
          return revokeToken(token);
        },
      },
      help: 'Revoke a token and all its descendants.',
    }),
    definePath({
      pattern: 'revoke-self',
      operations: { update: async (req) => revokeToken(req.clientToken) },
      help: 'Revoke the calling token and all its descendants.',
    }),
    definePath({
      pattern: 'revoke-accessor',
      fields: { accessor: { type: 'string', description: 'Accessor of the token to revoke (request body).' } },
      operations: {
        update: async (_req, f) => {
          const entry = await ctx.store.lookupAccessor(accessorField(f));
          if (!entry) return { warnings: ['No token found with this accessor'] };
          await ctx.store.revokeTree(entry);
          return undefined;
        },
      },
      help: 'Revoke a token (and its descendants) by its accessor.',
    }),
    definePath({
      pattern: 'revoke-orphan',
      fields: tokenField,
      operations: {
        update: async (req, f) => {
          const token = f.string('token');
          if (token === '') throw new InvalidRequestError('missing token ID');
          if (!(await callerIsSudo(ctx, req))) throw new InvalidRequestError('root or sudo privileges required to revoke and orphan');
          const entry = await ctx.store.lookupIncludingLastUse(token);
          if (!entry) throw new InvalidRequestError('token to revoke not found');
          if (entry.type === 'batch') throw new InvalidRequestError('batch tokens cannot be revoked');
          await ctx.store.revokeOrphan(entry);
          return undefined;
        },
      },
      help: 'Revoke a token but not its children: they become orphans. Needs sudo.',
    }),
  ];
}
