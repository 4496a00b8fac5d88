// The `coffer` entry point (bin/coffer.js imports this file). It dispatches on the first word and
// loads only that command's module, so startup stays fast: `sops`, `scan` and `server` live in their
// own modules (each exports `main(argv)` taking the words after the group name); every other word is
// one of the Vault-style commands under ./commands/.
import type { Io } from './commands/runtime.js';

type Runner = (argv: string[], io: Io) => Promise<number>;

/** Vault-style commands: word → loader of its runner. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Runner> }> = {
  status: { summary: 'Print the seal status of the server', load: async () => (await import('./commands/status.js')).run },
  operator: { summary: 'Init, unseal, seal, rotate the encryption key, key status', load: async () => (await import('./commands/operator.js')).run },
  login: { summary: 'Authenticate with a token and store it in ~/.vault-token', load: async () => (await import('./commands/login.js')).run },
  token: { summary: 'Create, look up, renew and revoke tokens; show capabilities', load: async () => (await import('./commands/token.js')).run },
  policy: { summary: 'Read, write, list, delete and format ACL policies', load: async () => (await import('./commands/policy.js')).run },
  secrets: { summary: 'Enable, disable, list and tune secrets engines', load: async () => (await import('./commands/secrets.js')).run },
  auth: { summary: 'Enable, disable, list and tune auth methods', load: async () => (await import('./commands/auth.js')).run },
  lease: { summary: 'Look up, renew and revoke the leases of dynamic secrets', load: async () => (await import('./commands/lease.js')).run },
  kv: { summary: 'Read and write KV v1/v2 secrets, versions and metadata', load: async () => (await import('./commands/kv.js')).run },
  read: { summary: 'Read data at any API path', load: async () => (await import('./commands/generic.js')).runRead },
  write: { summary: 'Write data to any API path', load: async () => (await import('./commands/generic.js')).runWrite },
  list: { summary: 'List keys at any API path', load: async () => (await import('./commands/generic.js')).runList },
  delete: { summary: 'Delete data at any API path', load: async () => (await import('./commands/generic.js')).runDelete },
  unwrap: { summary: 'Return a response wrapped with -wrap-ttl (single use)', load: async () => (await import('./commands/unwrap.js')).run },
  tools: { summary: 'Random bytes and hashes from the server', load: async () => (await import('./commands/tools.js')).run },
};

/** Commands owned by other modules, with the same `main(argv): Promise<number>` contract. */
const EXTERNAL: Record<string, { summary: string; load: () => Promise<(argv: string[]) => Promise<number>> }> = {
  server: { summary: 'Run a Coffer server (-dev for an in-memory, unsealed dev server)', load: async () => (await import('../server/command.js')).main },
  sops: { summary: 'Encrypt and decrypt SOPS files', load: async () => (await import('./sops-main.js')).main },
  scan: { summary: 'Scan files, git history or stdin for leaked secrets', load: async () => (await import('./scan-main.js')).main },
  audit: { summary: 'Verify audit-log hash chains and inspect audit entries', load: async () => (await import('./audit-main.js')).main },
};

const VERSION = '0.1.0';

function topHelp(): string {
  const all = { ...COMMANDS, ...EXTERNAL };
  const width = Math.max(...Object.keys(all).map((k) => k.length));
  const lines = ['Usage: coffer <command> [flags] [args]', '', 'Commands:'];
  for (const [name, { summary }] of Object.entries(all)) lines.push(`    ${name.padEnd(width)}    ${summary}`);
  lines.push('', 'Run "coffer <command> -help" for the flags and subcommands of one command.',
    'The server is found with COFFER_ADDR (or VAULT_ADDR); the token comes from COFFER_TOKEN, VAULT_TOKEN or ~/.vault-token.');
  return `${lines.join('\n')}\n`;
}

export async function run(argv: string[]): Promise<number> {
  const [word, ...rest] = argv;
  if (word === undefined) {
    process.stderr.write(topHelp());
    return 1;
  }
  if (word === '-h' || word === '-help' || word === '--help' || word === 'help') {
    process.stdout.write(topHelp());
    return 0;
  }
  if (word === 'version' || word === '-version' || word === '--version' || word === '-v') {
    process.stdout.write(`Coffer v${VERSION}\n`);
    return 0;
  }
  const external = EXTERNAL[word];
  if (external) return (await external.load())(rest);
  const command = COMMANDS[word];
  const { nodeIo, report } = await import('./commands/runtime.js');
  const io = nodeIo();
  if (!command) {
    const { UsageError } = await import('./commands/errors.js');
    return report(io, new UsageError(`unknown command "${word}"`, ['run "coffer -help" for the list of commands']));
  }
  return (await command.load())(rest, io);
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`coffer: error: ${(err as Error)?.message ?? String(err)}\n`);
  process.exitCode = 1;
}
