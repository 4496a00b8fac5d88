// auth/token/lookup, lookup-self, lookup-accessor.
import { InvalidRequestError, PermissionDeniedError } from '../../core/errors.js';
import { definePath, type PathDef } from '../../framework/backend.js';
import type { FieldData } from '../../framework/field-data.js';
import type { Request, Response } from '../../framework/types.js';
import { entryByAccessor, lookupData, type TokenPathContext } from './common.js';

export function lookupPaths(ctx: TokenPathContext): PathDef[] {
  async function lookupToken(token: string): Promise<Response> {
    if (token === '') throw new InvalidRequestError('missing token ID');
    // Like Vault's lookup: a token serving its last use is still shown.
    const entry = await ctx.store.lookupIncludingLastUse(token);
    if (!entry) throw new PermissionDeniedError('bad token');
    return { data: lookupData(ctx.store, token, entry) };
  }

  const lookup = async (req: Request, f: FieldData): Promise<Response> => lookupToken(f.string('token') || req.clientToken);
  const lookupSelf = async (req: Request): Promise<Response> => lookupToken(req.clientToken);

  return [
    definePath({
      pattern: 'lookup',
      fields: { token: { type: 'string', description: 'Token to look up (request body). Defaults to the client token.' } },
      operations: { read: lookup, update: lookup },
      help: 'Look up the properties of a token.',
    }),
    definePath({
      pattern: 'lookup-self',
      fields: { token: { type: 'string', description: 'Unused: the client token is looked up.' } },
      operations: { read: lookupSelf, update: lookupSelf },
      help: 'Look up the properties of the calling token.',
    }),
    definePath({
      pattern: 'lookup-accessor',
      fields: { accessor: { type: 'string', description: 'Accessor of the token to look up (request body).' } },
      operations: {
        update: async (_req, f) => {
          return { data: lookupData(ctx.store, '', await entryByAccessor(ctx, f)) };
        },
      },
      help: 'Look up the properties of a token by its accessor (the token id is not returned).',
    }),
  ];
}
