// `coffer token …`: create, lookup, renew, revoke and capabilities, on the token auth method
// (auth/token/…) and sys/capabilities*. Tokens given as arguments travel in request bodies, never
// in URLs, and are redacted from error messages.
import type { Secret } from '../../client/client.js';
import { CliError, EXIT_API, EXIT_OK, UsageError } from './errors.js';
import { durationValue } from './kv-args.js';
import { dispatch, HTTP_FLAGS, OUTPUT_FLAGS, WRAP_TTL_FLAG, type Command, type Ctx, type Io } from './runtime.js';

function requireSecret(secret: Secret | null, what: string): Secret {
  if (!secret) throw new CliError(`the server returned nothing for ${what}`, [], EXIT_API);
  return secret;
}

const create: Command = {
  def: {
    name: 'token create',
    args: '',
    summary: 'Create a new token (a child of the current token unless -orphan).',
    flags: [
      { name: 'policy', kind: 'list', value: 'NAME', usage: 'Policy to attach; repeat or comma-separate for several (default: the current token\'s policies).' },
      { name: 'ttl', kind: 'string', value: 'DURATION', usage: 'Initial TTL, e.g. 30m, 24h or seconds.' },
      { name: 'explicit-max-ttl', kind: 'string', value: 'DURATION', usage: 'Hard limit on the token\'s lifetime, renewals included.' },
      { name: 'period', kind: 'string', value: 'DURATION', usage: 'Make a periodic token: each renewal resets its TTL to this.' },
      { name: 'use-limit', kind: 'int', usage: 'Number of uses before the token is revoked (0 = unlimited).' },
      { name: 'renewable', kind: 'bool', usage: 'Whether the token can be renewed (default true; -renewable=false to forbid).' },
      { name: 'display-name', kind: 'string', value: 'NAME', usage: 'Name shown in token lookups and audit logs.' },
      { name: 'metadata', kind: 'map', usage: 'Metadata KEY=VALUE to attach; repeatable.' },
      { name: 'orphan', kind: 'bool', usage: 'Create a token with no parent (uses auth/token/create-orphan).' },
      { name: 'no-default-policy', kind: 'bool', usage: 'Do not attach the default policy.' },
      { name: 'type', kind: 'string', value: 'service|batch', usage: 'Token type (default service).' },
      { name: 'role', kind: 'string', value: 'NAME', usage: 'Create the token from this token role.' },
      { name: 'id', kind: 'string', value: 'ID', usage: 'Use this value as the token (root/sudo only).' },
      { name: 'entity-alias', kind: 'string', value: 'NAME', usage: 'Entity alias to associate the token with (with -role).' },
      ...HTTP_FLAGS, ...OUTPUT_FLAGS, WRAP_TTL_FLAG,
    ],
    maxArgs: 0,
  },
  async run(ctx) {
    const p = ctx.p;
    const type = p.str('type');
    if (type !== undefined && type !== 'service' && type !== 'batch') throw new UsageError(`invalid -type ${JSON.stringify(type)}`, ['use -type=service or -type=batch']);
    if (p.bool('orphan') && p.has('role')) throw new UsageError('-orphan and -role cannot be used together', ['make the role an orphan role instead']);
    const body: Record<string, unknown> = {};
    if (p.list('policy').length > 0) body['policies'] = p.list('policy');
    if (p.has('ttl')) body['ttl'] = durationValue(p.str('ttl')!);
    if (p.has('explicit-max-ttl')) body['explicit_max_ttl'] = durationValue(p.str('explicit-max-ttl')!);
    if (p.has('period')) body['period'] = durationValue(p.str('period')!);
    if (p.has('use-limit')) body['num_uses'] = p.int('use-limit');
    if (p.has('renewable')) body['renewable'] = p.bool('renewable');
    if (p.has('display-name')) body['display_name'] = p.str('display-name');
    if (p.has('metadata')) body['meta'] = p.map('metadata');
    if (p.bool('no-default-policy')) body['no_default_policy'] = true;
    if (type !== undefined) body['type'] = type;
    if (p.has('entity-alias')) body['entity_alias'] = p.str('entity-alias');
    if (p.has('id')) {
      body['id'] = p.str('id');
      ctx.sensitive.add(p.str('id')!);
    }
    const path = p.has('role') ? `auth/token/create/${encodeURIComponent(p.str('role')!)}`
      : p.bool('orphan') ? 'auth/token/create-orphan' : 'auth/token/create';
    const secret = requireSecret(await ctx.client.write(path, body, ctx.call), path);
    ctx.printSecret(secret);
    return EXIT_OK;
  },
};

/** The optional TOKEN argument (`-` = read it from stdin), added to the redaction list. */
export async function tokenArg(ctx: Ctx): Promise<string | undefined> {
  const t = ctx.args[0];
  if (t === undefined) return undefined;
  const token = t === '-' ? (await ctx.io.readStdin()).trim() : t;
  if (token === '') throw new UsageError('empty token');
  ctx.sensitive.add(token);
  return token;
}

const lookup: Command = {
  def: {
    name: 'token lookup',
    args: '[TOKEN]',
    summary: 'Show information about a token (default: the current one); with -accessor, TOKEN is an accessor.',
    flags: [
      { name: 'accessor', kind: 'bool', usage: 'Treat the argument as a token accessor.' },
      ...HTTP_FLAGS, ...OUTPUT_FLAGS,
    ],
    maxArgs: 1,
  },
  async run(ctx) {
    let secret: Secret | null;
    if (ctx.p.bool('accessor')) {
      const accessor = ctx.args[0];
      if (accessor === undefined) throw new UsageError('-accessor needs an ACCESSOR argument');
      secret = await ctx.client.write('auth/token/lookup-accessor', { accessor });
    } else {
      const token = await tokenArg(ctx);
      secret = token === undefined ? await ctx.client.read('auth/token/lookup-self') : await ctx.client.write('auth/token/lookup', { token });
    }
    ctx.printSecret(requireSecret(secret, 'token lookup'));
    return EXIT_OK;
  },
};

const renew: Command = {
  def: {
    name: 'token renew',
    args: '[TOKEN]',
    summary: 'Renew a token (default: the current one); with -accessor, TOKEN is an accessor.',
    flags: [
      { name: 'increment', aliases: ['i'], kind: 'string', value: 'DURATION', usage: 'Requested new TTL, e.g. 1h (default: the token\'s own TTL).' },
      { name: 'accessor', kind: 'bool', usage: 'Treat the argument as a token accessor.' },
      ...HTTP_FLAGS, ...OUTPUT_FLAGS,
    ],
    maxArgs: 1,
  },
  async run(ctx) {
    const body: Record<string, unknown> = {};
    if (ctx.p.has('increment')) body['increment'] = durationValue(ctx.p.str('increment')!);
    let path: string;
    if (ctx.p.bool('accessor')) {
      const accessor = ctx.args[0];
      if (accessor === undefined) throw new UsageError('-accessor needs an ACCESSOR argument');
      body['accessor'] = accessor;
      path = 'auth/token/renew-accessor';
    } else {
      const token = await tokenArg(ctx);
      if (token !== undefined) body['token'] = token;
      path = token === undefined ? 'auth/token/renew-self' : 'auth/token/renew';
    }
    ctx.printSecret(requireSecret(await ctx.client.write(path, body), 'token renew'));
    return EXIT_OK;
  },
};

const revoke: Command = {
  def: {
    name: 'token revoke',
    args: '[TOKEN]',
    summary: 'Revoke a token and, by default, all its children and their leases.',
    description: '-mode=orphan revokes only the token (its children become orphans; needs sudo).\n'
      + '-mode=path treats the argument as a token creation path prefix and revokes every token under it.',
    flags: [
      { name: 'accessor', kind: 'bool', usage: 'Treat the argument as a token accessor.' },
      { name: 'self', kind: 'bool', usage: 'Revoke the current token.' },
      { name: 'mode', kind: 'string', value: 'orphan|path', usage: 'Revocation mode (default: the token and its whole tree).' },
      ...HTTP_FLAGS,
    ],
    maxArgs: 1,
  },
  async run(ctx) {
    const mode = ctx.p.str('mode') ?? '';
    if (!['', 'orphan', 'path'].includes(mode)) throw new UsageError(`invalid -mode ${JSON.stringify(mode)}`, ['use -mode=orphan or -mode=path']);
    if (ctx.p.bool('self')) {
      if (ctx.args.length > 0) throw new UsageError('-self takes no TOKEN argument');
      if (mode !== '' || ctx.p.bool('accessor')) throw new UsageError('-self cannot be combined with -mode or -accessor');
      await ctx.client.write('auth/token/revoke-self', {});
      ctx.success('Success! Revoked token (if it existed)');
      return EXIT_OK;
    }
    if (ctx.args.length === 0) throw new UsageError('no token given', ['give a TOKEN (or ACCESSOR with -accessor), or use -self']);
    if (ctx.p.bool('accessor')) {
      if (mode !== '') throw new UsageError('-accessor cannot be combined with -mode');
      await ctx.client.write('auth/token/revoke-accessor', { accessor: ctx.args[0] });
    } else if (mode === 'path') {
      const prefix = ctx.args[0]!.replace(/^\/+/, '');
      await ctx.client.write(`sys/leases/revoke-prefix/${prefix}`, {});
    } else {
      const token = (await tokenArg(ctx))!;
      await ctx.client.write(mode === 'orphan' ? 'auth/token/revoke-orphan' : 'auth/token/revoke', { token });
    }
    ctx.success('Success! Revoked token (if it existed)');
    return EXIT_OK;
  },
};

const capabilities: Command = {
  def: {
    name: 'token capabilities',
    args: '[TOKEN] PATH',
    summary: 'Show the capabilities a token (default: the current one) has on PATH.',
    flags: [
      { name: 'accessor', kind: 'bool', usage: 'Treat the TOKEN argument as a token accessor.' },
      ...HTTP_FLAGS, OUTPUT_FLAGS[0]!,
    ],
    minArgs: 1,
    maxArgs: 2,
  },
  async run(ctx) {
    const path = ctx.args[ctx.args.length - 1]!.replace(/^\/+/, '');
    let secret: Secret | null;
    if (ctx.args.length === 1) {
      if (ctx.p.bool('accessor')) throw new UsageError('-accessor needs both ACCESSOR and PATH');
      secret = await ctx.client.write('sys/capabilities-self', { paths: [path] });
    } else if (ctx.p.bool('accessor')) {
      secret = await ctx.client.write('sys/capabilities-accessor', { accessor: ctx.args[0], paths: [path] });
    } else {
      const token = (await tokenArg(ctx))!;
      secret = await ctx.client.write('sys/capabilities', { token, paths: [path] });
    }
    const s = requireSecret(secret, 'capabilities') as Secret & Record<string, unknown>;
    const data = (s.data ?? {}) as Record<string, unknown>;
    const caps = (data['capabilities'] ?? data[path] ?? s['capabilities'] ?? s[path]) as string[] | undefined;
    if (!Array.isArray(caps)) throw new CliError('the server returned no capabilities', [], EXIT_API);
    if (ctx.format === 'table') ctx.print(`${caps.join(', ')}\n`);
    else ctx.printKeys(caps, caps);
    return EXIT_OK;
  },
};

const COMMANDS: Record<string, Command> = { create, lookup, renew, revoke, capabilities };

export const run = (argv: string[], io: Io): Promise<number> =>
  dispatch('token', 'Create, look up, renew and revoke tokens.', COMMANDS, argv, io);
