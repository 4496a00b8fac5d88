// `coffer login [TOKEN]`: authenticate and store the token in ~/.vault-token (mode 0600), the file
// the Vault CLI's default token helper uses. The token method checks the token with lookup-self;
// -method=userpass|approle (or any method with a `login` endpoint taking KEY=VALUE fields) logs in.
import type { Secret, SecretAuth } from '../../client/client.js';
import { writeTokenFile } from '../config.js';
import { CliError, EXIT_OK, UsageError } from './errors.js';
import { fileSources, parseKvArgs, stringValues } from './kv-args.js';
import { execute, HTTP_FLAGS, OUTPUT_FLAGS, type Command, type Ctx, type Io } from './runtime.js';

interface LookupData {
  accessor?: string;
  ttl?: number;
  renewable?: boolean;
  policies?: string[] | null;
  identity_policies?: string[] | null;
  meta?: Record<string, string> | null;
  entity_id?: string;
  type?: string;
  orphan?: boolean;
  num_uses?: number;
}

async function secretInput(ctx: Ctx, arg: string | undefined, prompt: string): Promise<string> {
  let value: string;
  if (arg !== undefined && arg !== '-') value = arg;
  else if (arg === undefined && ctx.io.stdinIsTTY) value = await ctx.io.promptHidden(prompt);
  else value = await ctx.io.readStdin();
  return value.trim();
}

/** Logs in with a token: the token is only stored after the server accepted it (lookup-self). */
async function tokenLogin(ctx: Ctx): Promise<Secret> {
  if (ctx.args.length > 1) throw new UsageError('too many arguments: the token method takes one TOKEN (or "-" for stdin)');
  const token = await secretInput(ctx, ctx.args[0], 'Token (will be hidden): ');
  if (token === '') throw new UsageError('no token given', ['pass it as an argument, type it at the prompt, or pipe it on stdin with "coffer login -"']);
  ctx.sensitive.add(token);
  ctx.client.setToken(token);
  const res = await ctx.client.request<Secret<LookupData>>('GET', 'auth/token/lookup-self');
  const d = res.body?.data ?? {};
  const policies = d.policies ?? [];
  const auth: SecretAuth = {
    client_token: token,
    accessor: d.accessor ?? '',
    policies: [...new Set([...policies, ...(d.identity_policies ?? [])])].sort(),
    token_policies: policies,
    identity_policies: d.identity_policies ?? [],
    metadata: d.meta ?? null,
    lease_duration: d.ttl ?? 0,
    renewable: d.renewable ?? false,
    entity_id: d.entity_id ?? '',
    token_type: d.type ?? 'service',
    orphan: d.orphan ?? false,
    num_uses: d.num_uses ?? 0,
  };
  return { request_id: res.body?.request_id ?? '', lease_id: '', renewable: false, lease_duration: 0, data: null, wrap_info: null, warnings: res.body?.warnings ?? null, auth };
}

/** Logs in through an auth method's login endpoint with KEY=VALUE fields. */
async function methodLogin(ctx: Ctx, method: string): Promise<Secret> {
  const mount = (ctx.p.str('path') ?? method).replace(/^\/+|\/+$/g, '');
  const data = await parseKvArgs(ctx.args, fileSources(ctx.io.readStdin));
  for (const v of stringValues(data)) ctx.sensitive.add(v);
  let path = `auth/${mount}/login`;
  if (method === 'userpass' || method === 'ldap') {
    const username = data['username'];
    if (typeof username !== 'string' || username === '') throw new UsageError(`-method=${method} needs username=NAME`);
    delete data['username'];
    if (data['password'] === undefined) {
      if (!ctx.io.stdinIsTTY) throw new UsageError(`-method=${method} needs password=… (or a terminal to prompt on)`);
      data['password'] = await ctx.io.promptHidden('Password (will be hidden): ');
      ctx.sensitive.add(data['password'] as string);
    }
    path = `auth/${mount}/login/${username}`;
  }
  ctx.client.setToken(undefined);
  const res = await ctx.client.request<Secret>('PUT', path, { body: data });
  const secret = res.body;
  if (!secret?.auth?.client_token) throw new CliError(`the ${method} login returned no token`, [], 2);
  ctx.sensitive.add(secret.auth.client_token);
  return secret;
}

const login: Command = {
  def: {
    name: 'login',
    args: '[TOKEN | KEY=VALUE...]',
    summary: 'Authenticate and store the token in ~/.vault-token (mode 0600).',
    description: 'With the token method (default), TOKEN is checked with the server before it is stored;\n'
      + 'without TOKEN it is prompted for without echo (or read from stdin when it is not a terminal).\n'
      + 'Other methods: -method=userpass username=NAME [password=…], -method=approle role_id=… secret_id=….',
    flags: [
      { name: 'method', kind: 'string', value: 'TYPE', usage: 'Auth method: token (default), userpass, approle, or any method with a login endpoint.' },
      { name: 'path', kind: 'string', value: 'PATH', usage: 'Mount path of the auth method (default: the method name).' },
      { name: 'no-store', kind: 'bool', usage: 'Do not write the token to ~/.vault-token.' },
      { name: 'no-print', kind: 'bool', usage: 'Print nothing on success.' },
      ...HTTP_FLAGS, ...OUTPUT_FLAGS,
    ],
  },
  async run(ctx) {
    const method = ctx.p.str('method') ?? 'token';
    const secret = method === 'token' ? await tokenLogin(ctx) : await methodLogin(ctx, method);
    const token = secret.auth!.client_token;
    const stored = !ctx.p.bool('no-store');
    if (stored) writeTokenFile(ctx.io.homeDir, token);
    for (const name of ['COFFER_TOKEN', 'VAULT_TOKEN']) {
      if (ctx.io.env[name]) {
        ctx.io.err(`WARNING! The ${name} environment variable is set! It takes precedence over the token stored by login; unset it if that is unwanted.\n\n`);
        break;
      }
    }
    if (ctx.p.bool('no-print')) return EXIT_OK;
    if (ctx.format === 'table' && ctx.field === undefined) {
      ctx.print(stored
        ? 'Success! You are now authenticated. The token information displayed below\nis already stored in ~/.vault-token. You do NOT need to run "coffer login"\nagain. Future requests will automatically use this token.\n\n'
        : 'Success! You are now authenticated. The token was not stored (-no-store).\n\n');
    }
    ctx.printSecret(secret);
    return EXIT_OK;
  },
};

export const run = (argv: string[], io: Io): Promise<number> => execute(login, argv, io);
