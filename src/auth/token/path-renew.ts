// auth/token/renew, renew-self, renew-accessor.
import { InvalidRequestError } from '../../core/errors.js';
import { definePath, type PathDef } from '../../framework/backend.js';
import type { FieldData } from '../../framework/field-data.js';
import type { Response } from '../../framework/types.js';
import { entryByAccessor, type TokenPathContext } from './common.js';
import type { TokenEntry } from './store.js';

const INCREMENT = { type: 'duration', default: 0, description: 'The desired increment in seconds to the token expiration.' } as const;

export function renewPaths(ctx: TokenPathContext): PathDef[] {
  async function renew(token: string, entry: TokenEntry | undefined, f: FieldData): Promise<Response> {
    if (!entry || entry.numUses === -1) throw new InvalidRequestError('token not found');
    const { warnings } = await ctx.store.renew(entry, f.duration('increment'));
    const resp: Response = { issuedAuth: ctx.store.authResponse(token, entry) };
    if (warnings.length > 0) resp.warnings = warnings;
    return resp;
  }

  async function renewToken(token: string, f: FieldData): Promise<Response> {
    if (token === '') throw new InvalidRequestError('missing token ID');
    return renew(token, await ctx.store.lookup(token), f);
  }

  return [
    definePath({
      pattern: 'renew',
      fields: { token: { type: 'string', description: 'Token to renew (request body).' }, increment: INCREMENT },
      operations: { update: async (_req, f) => renewToken(f.string('token'), f) },
      help: 'Renew a token: extend its TTL (capped by its max TTL; periodic tokens get their period).',
    }),
    definePath({
      pattern: 'renew-self',
      fields: { token: { type: 'string', description: 'Unused: the client token is renewed.' }, increment: INCREMENT },
      operations: { update: async (req, f) => renewToken(req.clientToken, f) },
      help: 'Renew the calling token.',
    }),
    definePath({
      pattern: 'renew-accessor',
      fields: { accessor: { type: 'string', description: 'Accessor of the token to renew (request body).' }, increment: INCREMENT },
      operations: {
        update: async (_req, f) => {
          // The token itself is never revealed through its accessor.
          return renew('', await entryByAccessor(ctx, f), f);
        },
      },
      help: 'Renew a token by its accessor.',
    }),
  ];
}
