// `coffer unwrap [TOKEN]`: returns a response wrapped with -wrap-ttl (POST sys/wrapping/unwrap) and
// prints it as `read` would. Which token goes where follows the Vault client: without TOKEN the
// current token is the wrapping token (X-Vault-Token, no body); with TOKEN and a different current
// token, TOKEN travels in the body; with TOKEN and no current token, TOKEN is sent as X-Vault-Token.
// Either way the wrapping token works once: the server burns it.
import type { Secret } from '../../client/client.js';
import { CliError, EXIT_API, EXIT_OK, UsageError } from './errors.js';
import { execute, HTTP_FLAGS, OUTPUT_FLAGS, type Command, type Io } from './runtime.js';
import { tokenArg } from './token.js';

const unwrap: Command = {
  def: {
    name: 'unwrap',
    args: '[TOKEN]',
    summary: 'Unwrap a wrapped response (default: the current token is the wrapping token); - reads TOKEN from stdin.',
    description: 'A wrapping token works once: a second unwrap fails with "wrapping token is not valid or does not exist".',
    flags: [...HTTP_FLAGS, ...OUTPUT_FLAGS],
    maxArgs: 1,
  },
  async run(ctx) {
    const token = await tokenArg(ctx);
    let body: Record<string, string> | undefined;
    if (token === undefined) {
      if (!ctx.config.token) {
        throw new UsageError('no wrapping token given', ['give the wrapping token as an argument (coffer unwrap TOKEN), or set COFFER_TOKEN (or VAULT_TOKEN) to it']);
      }
    } else if (!ctx.config.token) {
      ctx.client.setToken(token);
    } else if (token !== ctx.config.token) {
      body = { token };
    }
    const secret = (await ctx.client.request<Secret>('PUT', 'sys/wrapping/unwrap', body ? { body } : {})).body;
    if (!secret) throw new CliError('the server returned no wrapped response', [], EXIT_API);
    // A wrapped LIST comes back as data {keys}: print it as `list` would.
    const keys = secret.data?.['keys'];
    if (ctx.field === undefined && Array.isArray(keys) && Object.keys(secret.data!).length === 1) ctx.printKeys(keys.map(String), keys);
    else ctx.printSecret(secret);
    return EXIT_OK;
  },
};

export const run = (argv: string[], io: Io): Promise<number> => execute(unwrap, argv, io);
