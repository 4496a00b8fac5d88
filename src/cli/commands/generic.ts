// The generic commands that work on any API path: `read PATH [K=V...]`, `write PATH K=V...`,
// `list PATH` and `delete PATH [K=V...]`. Data arguments follow kv-args.ts (`-` = JSON on stdin).
import type { QueryValue } from '../../client/client.js';
import { CliError, EXIT_API, EXIT_OK, UsageError } from './errors.js';
import { fileSources, parseKvArgs, stringValues } from './kv-args.js';
import { execute, HTTP_FLAGS, OUTPUT_FLAGS, WRAP_TTL_FLAG, type Command, type Ctx, type Io } from './runtime.js';

function cleanPath(raw: string): string {
  const p = raw.replace(/^\/+/, '');
  if (p === '') throw new UsageError('the path is empty');
  return p;
}

async function dataArgs(ctx: Ctx, args: string[]): Promise<Record<string, unknown>> {
  const data = await parseKvArgs(args, fileSources(ctx.io.readStdin));
  for (const v of stringValues(data)) ctx.sensitive.add(v);
  return data;
}

function toQuery(data: Record<string, unknown>): Record<string, QueryValue> {
  const q: Record<string, QueryValue> = {};
  for (const [k, v] of Object.entries(data)) q[k] = Array.isArray(v) ? v.map(String) : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
  return q;
}

/** 404 for read/list: Vault prints "No value found at …" and exits 2. */
export function noValue(path: string): CliError {
  return new CliError(`no value found at ${path}`, [], EXIT_API);
}

const read: Command = {
  def: {
    name: 'read',
    args: 'PATH [KEY=VALUE...]',
    summary: 'Read data at PATH; KEY=VALUE pairs are sent as query parameters.',
    flags: [...HTTP_FLAGS, ...OUTPUT_FLAGS, WRAP_TTL_FLAG],
    minArgs: 1,
  },
  async run(ctx) {
    const [raw, ...rest] = ctx.args;
    const path = cleanPath(raw!);
    const query = rest.length > 0 ? toQuery(await dataArgs(ctx, rest)) : undefined;
    const secret = await ctx.client.read(path, query, ctx.call);
    if (!secret) throw noValue(path);
    ctx.printSecret(secret);
    return EXIT_OK;
  },
};

const write: Command = {
  def: {
    name: 'write',
    args: 'PATH [KEY=VALUE... | - | @FILE]',
    summary: 'Write data to PATH (KEY=VALUE pairs, KEY=@FILE, KEY=- from stdin, or - for a JSON object on stdin).',
    flags: [
      { name: 'force', aliases: ['f'], kind: 'bool', usage: 'Allow a write with no data.' },
      ...HTTP_FLAGS, ...OUTPUT_FLAGS, WRAP_TTL_FLAG,
    ],
    minArgs: 1,
  },
  async run(ctx) {
    const [raw, ...rest] = ctx.args;
    const path = cleanPath(raw!);
    if (rest.length === 0 && !ctx.p.bool('force')) {
      throw new UsageError('no data to write', ['give KEY=VALUE pairs (or - for JSON on stdin), or -force to write an empty body']);
    }
    const data = await dataArgs(ctx, rest);
    const secret = await ctx.client.write(path, data, ctx.call);
    if (!secret) {
      ctx.success(`Success! Data written to: ${path}`);
      return EXIT_OK;
    }
    ctx.printSecret(secret);
    return EXIT_OK;
  },
};

const list: Command = {
  def: {
    name: 'list',
    args: 'PATH',
    summary: 'List the keys at PATH (folders end in /).',
    flags: [...HTTP_FLAGS, ...OUTPUT_FLAGS.filter((f) => f.name === 'format'), WRAP_TTL_FLAG],
    minArgs: 1,
    maxArgs: 1,
  },
  async run(ctx) {
    const path = cleanPath(ctx.args[0]!);
    const secret = await ctx.client.list(path, ctx.call);
    // A wrapped list answers with wrap_info only: show that, as Vault does.
    if (secret?.wrap_info) {
      ctx.printSecret(secret);
      return EXIT_OK;
    }
    const keys = secret?.data?.keys;
    if (!secret || !Array.isArray(keys) || keys.length === 0) throw noValue(path.endsWith('/') ? path : `${path}/`);
    ctx.printKeys(keys, keys);
    return EXIT_OK;
  },
};

const del: Command = {
  def: {
    name: 'delete',
    args: 'PATH [KEY=VALUE...]',
    summary: 'Delete data at PATH; KEY=VALUE pairs are sent as query parameters.',
    flags: [...HTTP_FLAGS, ...OUTPUT_FLAGS.filter((f) => f.name === 'format')],
    minArgs: 1,
  },
  async run(ctx) {
    const [raw, ...rest] = ctx.args;
    const path = cleanPath(raw!);
    const query = rest.length > 0 ? toQuery(await dataArgs(ctx, rest)) : undefined;
    const secret = await ctx.client.delete(path, query);
    if (secret && (secret.data || (secret.warnings?.length ?? 0) > 0)) ctx.printSecret(secret);
    else ctx.success(`Success! Data deleted (if it existed) at: ${path}`);
    return EXIT_OK;
  },
};

export const runRead = (argv: string[], io: Io): Promise<number> => execute(read, argv, io);
export const runWrite = (argv: string[], io: Io): Promise<number> => execute(write, argv, io);
export const runList = (argv: string[], io: Io): Promise<number> => execute(list, argv, io);
export const runDelete = (argv: string[], io: Io): Promise<number> => execute(del, argv, io);
