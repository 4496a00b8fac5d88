// `coffer operator …`: init, unseal (prompted without echo, or from stdin), unseal -reset, seal,
// rotate (new barrier key term), key-status, and the recovery ceremonies rekey and generate-root
// (operator-recovery.ts).
import { createSysApi, type KeyStatus } from '../../client/sys.js';
import { EXIT_API, EXIT_OK, UsageError } from './errors.js';
import { dispatch, HTTP_FLAGS, OUTPUT_FLAGS, type Command, type Ctx, type Io } from './runtime.js';
import { sealStatusRows } from './status.js';
import { generateRoot, rekey } from './operator-recovery.js';

const init: Command = {
  def: {
    name: 'operator init',
    args: '',
    summary: 'Initialize the server: generate the root key, split it into unseal keys, print them and the root token.',
    description: 'With -status, only report whether the server is initialized (exit 0 yes, 2 no).',
    flags: [
      { name: 'key-shares', aliases: ['n'], kind: 'int', usage: 'Number of unseal key shares to generate (default 5).' },
      { name: 'key-threshold', aliases: ['t'], kind: 'int', usage: 'Number of shares needed to unseal (default 3).' },
      { name: 'pgp-keys', kind: 'list', value: 'KEYS', usage: 'Comma-separated base64 PGP public keys to encrypt the unseal keys with, one per share.' },
      { name: 'root-token-pgp-key', kind: 'string', value: 'KEY', usage: 'Base64 PGP public key to encrypt the root token with.' },
      { name: 'status', kind: 'bool', usage: 'Only print whether the server is initialized.' },
      ...HTTP_FLAGS, ...OUTPUT_FLAGS,
    ],
    maxArgs: 0,
  },
  async run(ctx) {
    const sys = createSysApi(ctx.client);
    if (ctx.p.bool('status')) {
      const initialized = await sys.initStatus();
      if (ctx.format === 'table') ctx.print(initialized ? 'Coffer is initialized\n' : 'Coffer is not initialized\n');
      else ctx.printData({ initialized });
      return initialized ? EXIT_OK : EXIT_API;
    }
    const shares = ctx.p.int('key-shares') ?? 5;
    const threshold = ctx.p.int('key-threshold') ?? 3;
    if (shares < 1 || threshold < 1 || threshold > shares) {
      throw new UsageError(`invalid key shares/threshold: ${shares}/${threshold}`, ['the threshold must be between 1 and the number of shares (default: 5 shares, threshold 3)']);
    }
    const pgpKeys = ctx.p.list('pgp-keys');
    const res = await sys.init({
      secret_shares: shares,
      secret_threshold: threshold,
      ...(pgpKeys.length > 0 ? { pgp_keys: pgpKeys } : {}),
      ...(ctx.p.has('root-token-pgp-key') ? { root_token_pgp_key: ctx.p.str('root-token-pgp-key')! } : {}),
    });
    const keysB64 = res.keys_base64 ?? [];
    const keysHex = res.keys ?? [];
    const out = {
      unseal_keys_b64: keysB64,
      unseal_keys_hex: keysHex,
      unseal_shares: shares,
      unseal_threshold: threshold,
      recovery_keys_b64: res.recovery_keys_base64 ?? [],
      recovery_keys_hex: res.recovery_keys ?? [],
      root_token: res.root_token,
    };
    if (ctx.format !== 'table' || ctx.field !== undefined) {
      ctx.printData(out);
      return EXIT_OK;
    }
    const lines = keysB64.map((k, i) => `Unseal Key ${i + 1}: ${k}`);
    lines.push('', `Initial Root Token: ${res.root_token}`, '',
      `Coffer initialized with ${shares} key shares and a key threshold of ${threshold}. Please securely`,
      'distribute the key shares printed above. When the server is re-sealed, restarted,',
      `or stopped, you must supply at least ${threshold} of these keys to unseal it before`,
      'it can start servicing requests.', '',
      `Coffer does not store the generated root key. Without at least ${threshold} keys to`,
      'reconstruct the root key, the server will remain permanently sealed!');
    ctx.print(`${lines.join('\n')}\n`);
    return EXIT_OK;
  },
};

async function readKey(ctx: Ctx): Promise<string> {
  const [arg] = ctx.args;
  let key: string;
  if (arg !== undefined && arg !== '-') {
    key = arg;
  } else if (arg === undefined && ctx.io.stdinIsTTY) {
    key = await ctx.io.promptHidden('Unseal Key (will be hidden): ');
  } else {
    key = await ctx.io.readStdin();
  }
  key = key.trim();
  if (key === '') throw new UsageError('no unseal key given', ['pass the key as an argument, type it at the prompt, or pipe it on stdin']);
  return key;
}

const unseal: Command = {
  def: {
    name: 'operator unseal',
    args: '[KEY]',
    summary: 'Provide one unseal key share; prompts without echo when KEY is omitted (reads stdin when not a terminal).',
    flags: [
      { name: 'reset', kind: 'bool', usage: 'Discard the unseal keys entered so far.' },
      ...HTTP_FLAGS, ...OUTPUT_FLAGS,
    ],
    maxArgs: 1,
  },
  async run(ctx) {
    const sys = createSysApi(ctx.client);
    let status;
    if (ctx.p.bool('reset')) {
      if (ctx.args.length > 0) throw new UsageError('-reset takes no key argument');
      status = await sys.unsealReset();
    } else {
      const key = await readKey(ctx);
      ctx.sensitive.add(key);
      status = await sys.unseal(key);
    }
    ctx.printData({ ...status }, sealStatusRows(status));
    return EXIT_OK;
  },
};

const seal: Command = {
  def: {
    name: 'operator seal',
    args: '',
    summary: 'Seal the server: it forgets its keys and answers 503 until unsealed again.',
    flags: [...HTTP_FLAGS],
    maxArgs: 0,
  },
  async run(ctx) {
    await createSysApi(ctx.client).seal();
    ctx.success('Success! Coffer is sealed.');
    return EXIT_OK;
  },
};

function keyStatusRows(k: KeyStatus): [string, string][] {
  const rows: [string, string][] = [['Key Term', String(k.term)], ['Install Time', k.install_time]];
  if (k.encryptions !== undefined) rows.push(['Encryption Count', String(k.encryptions)]);
  return rows;
}

const rotate: Command = {
  def: {
    name: 'operator rotate',
    args: '',
    summary: 'Rotate the barrier encryption key: new writes use a new key term; old entries stay readable.',
    flags: [...HTTP_FLAGS, ...OUTPUT_FLAGS],
    maxArgs: 0,
  },
  async run(ctx) {
    const sys = createSysApi(ctx.client);
    await sys.rotate();
    const k = await sys.keyStatus();
    if (ctx.format === 'table' && ctx.field === undefined) ctx.print('Success! Rotated key\n\n');
    ctx.printData({ ...k }, keyStatusRows(k));
    return EXIT_OK;
  },
};

const keyStatus: Command = {
  def: {
    name: 'operator key-status',
    args: '',
    summary: 'Print the current barrier key term and when it was installed.',
    flags: [...HTTP_FLAGS, ...OUTPUT_FLAGS],
    maxArgs: 0,
  },
  async run(ctx) {
    const k = await createSysApi(ctx.client).keyStatus();
    ctx.printData({ ...k }, keyStatusRows(k));
    return EXIT_OK;
  },
};

const COMMANDS: Record<string, Command> = { init, unseal, seal, rotate, 'key-status': keyStatus, rekey, 'generate-root': generateRoot };

export const run = (argv: string[], io: Io): Promise<number> =>
  dispatch('operator', 'Operate the server: initialize, unseal, seal, rotate its encryption key, rekey, generate a root token.', COMMANDS, argv, io);
