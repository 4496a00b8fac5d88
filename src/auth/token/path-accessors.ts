// auth/token/accessors (LIST, sudo) and auth/token/tidy.
import { definePath, type PathDef } from '../../framework/backend.js';
import type { TokenPathContext } from './common.js';

export function accessorPaths(ctx: TokenPathContext): PathDef[] {
  let tidying = false;
  return [
    definePath({
      pattern: 'accessors/?',
      operations: { list: async () => ({ data: { keys: await ctx.store.listAccessors() } }) },
      help: 'List the accessors of every stored token. Needs sudo.',
    }),
    definePath({
      pattern: 'tidy',
      operations: {
        update: async () => {
          if (tidying) return { warnings: ['Tidy operation already in progress.'] };
          tidying = true;
          try {
            const r = await ctx.store.tidy();
            return {
              statusCode: 202,
              warnings: [`Tidy operation completed: ${r.revokedTokens} expired or exhausted tokens revoked, ${r.orphanedTokens} tokens of vanished parents orphaned, ${r.deletedParentIndexes} parent index and ${r.deletedAccessorIndexes} accessor index entries removed.`],
            };
          } finally {
            tidying = false;
          }
        },
      },
      help: 'Clean up dangling token indexes and revoke expired tokens.',
    }),
  ];
}
