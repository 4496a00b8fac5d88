// `coffer tools random|hash`: the server's sys/tools endpoints. Here -format is the encoding of the
// result (hex|base64), not the output format, and the result is printed alone on one line. The
// server checks every value (byte count, encoding, algorithm), so a bad one exits 2 with its message.
import { CliError, EXIT_API, EXIT_OK } from './errors.js';
import { dispatch, HTTP_FLAGS, type Command, type Ctx, type Io } from './runtime.js';

/** Posts `body` to `path` and prints `data[key]` on its own line. */
async function printResult(ctx: Ctx, path: string, body: Record<string, unknown>, key: string): Promise<number> {
  const secret = await ctx.client.write(path, body);
  const value = secret?.data?.[key];
  if (typeof value !== 'string') throw new CliError(`the server's answer to ${path} has no ${key}`, [], EXIT_API);
  ctx.print(`${value}\n`);
  return EXIT_OK;
}

const random: Command = {
  def: {
    name: 'tools random',
    args: '[BYTES]',
    summary: 'Print BYTES (default 32, at most 131072) random bytes from the server, base64 or hex.',
    flags: [
      { name: 'format', kind: 'string', value: 'base64|hex', usage: 'Encoding of the bytes (default base64).' },
      { name: 'source', kind: 'string', value: 'platform|seal|all', usage: 'Entropy source (default platform).' },
      ...HTTP_FLAGS,
    ],
    maxArgs: 1,
  },
  async run(ctx) {
    const body: Record<string, unknown> = {};
    const bytes = ctx.args[0];
    // Integers go as numbers; anything else goes verbatim so the server's own message explains it.
    if (bytes !== undefined) body['bytes'] = /^\d+$/.test(bytes) ? Number.parseInt(bytes, 10) : bytes;
    if (ctx.p.has('format')) body['format'] = ctx.p.str('format');
    if (ctx.p.has('source')) body['source'] = ctx.p.str('source');
    return printResult(ctx, 'sys/tools/random', body, 'random_bytes');
  },
};

const hash: Command = {
  def: {
    name: 'tools hash',
    args: 'INPUT|-',
    summary: 'Print the server\'s digest of INPUT (the text as given; - = stdin, byte for byte).',
    flags: [
      { name: 'algorithm', kind: 'string', value: 'NAME', usage: 'sha2-224, sha2-256 (default), sha2-384, sha2-512, sha3-224, sha3-256, sha3-384 or sha3-512.' },
      { name: 'format', kind: 'string', value: 'hex|base64', usage: 'Encoding of the sum (default hex).' },
      ...HTTP_FLAGS,
    ],
    minArgs: 1,
    maxArgs: 1,
  },
  async run(ctx) {
    const arg = ctx.args[0]!;
    const input = arg === '-' ? await (ctx.io.readStdinBytes?.() ?? ctx.io.readStdin().then((s) => Buffer.from(s, 'utf8'))) : Buffer.from(arg, 'utf8');
    ctx.sensitive.add(input.toString('utf8'));
    const body: Record<string, unknown> = { input: input.toString('base64') };
    if (ctx.p.has('algorithm')) body['algorithm'] = ctx.p.str('algorithm');
    if (ctx.p.has('format')) body['format'] = ctx.p.str('format');
    return printResult(ctx, 'sys/tools/hash', body, 'sum');
  },
};

const COMMANDS: Record<string, Command> = { random, hash };

export const run = (argv: string[], io: Io): Promise<number> =>
  dispatch('tools', 'Random bytes and hashes computed by the server.', COMMANDS, argv, io);
