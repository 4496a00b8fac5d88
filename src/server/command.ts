// `coffer server`: -dev for a ready-to-use local server, or -config=FILE for a real one.
import { startDevServer, startServer, createLogger } from './start.js';
import { loadConfigFile } from './config.js';
import { AppError } from '../core/errors.js';

interface ServerFlags {
  dev: boolean;
  config?: string;
  devRootTokenId?: string;
  devListenAddress?: string;
  logLevel: string;
}

/** Accepts Go-style flags as Vault does: -dev, -config=FILE, -config FILE, --config=FILE. */
export function parseServerFlags(argv: string[]): ServerFlags {
  const flags: ServerFlags = { dev: false, logLevel: process.env['COFFER_LOG_LEVEL'] ?? 'info' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new AppError('ERR_INVALID_REQUEST', `unexpected argument "${arg}"`);
    const name = m[1]!;
    const value = (): string => {
      if (m[2] !== undefined) return m[2];
      const next = argv[++i];
      if (next === undefined) throw new AppError('ERR_INVALID_REQUEST', `flag -${name} needs a value`);
      return next;
    };
    switch (name) {
      case 'dev': flags.dev = m[2] === undefined ? true : m[2] !== 'false'; break;
      case 'config': flags.config = value(); break;
      case 'dev-root-token-id': flags.devRootTokenId = value(); break;
      case 'dev-listen-address': flags.devListenAddress = value(); break;
      case 'log-level': flags.logLevel = value(); break;
      default: throw new AppError('ERR_INVALID_REQUEST', `unknown flag -${name}`);
    }
  }
  if (!flags.dev && !flags.config) throw new AppError('ERR_INVALID_REQUEST', 'either -dev or -config=FILE is required');
  return flags;
}

export async function main(argv: string[]): Promise<number> {
  let flags: ServerFlags;
  try {
    flags = parseServerFlags(argv);
  } catch (err) {
    process.stderr.write(`coffer: error: ${(err as Error).message}\nhint: coffer server -dev   or   coffer server -config=server.hcl\n`);
    return 1;
  }
  const logger = createLogger(flags.logLevel);
  let stop: () => Promise<void>;
  let currentCore: { unsealedAudit(): { reopen(): Promise<void> } | undefined } | undefined;
  try {
    if (flags.dev) {
      const s = await startDevServer({ listenAddress: flags.devListenAddress, rootTokenId: flags.devRootTokenId ?? process.env['COFFER_DEV_ROOT_TOKEN_ID'], logger });
      stop = s.stop;
      currentCore = s.core;
      process.stdout.write([
        '==> Coffer dev server started: initialized, unsealed, kv v2 mounted at secret/.',
        '    Dev mode keeps its data in a temporary SQLite file that is removed on exit. Never use it for real secrets.',
        '',
        `    Storage:     sqlite (${s.storagePath})`,
        `    Api Address: ${s.address}`,
        `    Unseal Key:  ${s.unsealKey}`,
        `    Root Token:  ${s.rootToken}`,
        '',
        '    Try it:',
        `      export COFFER_ADDR='${s.address}'`,
        `      export COFFER_TOKEN='${s.rootToken}'`,
        '      coffer kv put secret/hello foo=world',
        '',
      ].join('\n'));
    } else {
      const config = loadConfigFile(flags.config!);
      const s = await startServer(config, logger);
      stop = s.stop;
      currentCore = s.core;
      const status = await s.core.seal.status();
      process.stdout.write([
        '==> Coffer server started.',
        `    Storage:      ${config.storage.type}${config.storage.type === 'sqlite' ? ` (${config.storage.path})` : ''}`,
        ...s.listeners.map((l) => `    Listener:     ${l.address}`),
        `    Initialized:  ${status.initialized}`,
        `    Sealed:       ${status.sealed}`,
        status.initialized ? '    Unseal with: coffer operator unseal' : '    Initialize with: coffer operator init',
        '',
      ].join('\n'));
    }
  } catch (err) {
    process.stderr.write(`coffer: error: ${(err as Error).message}\n`);
    return 1;
  }
  // SIGHUP reopens audit files (log rotation); the hash chain continues in the new file.
  const reopen = () => { void currentCore?.unsealedAudit()?.reopen().catch(() => undefined); };
  process.on('SIGHUP', reopen);
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  process.stdout.write('==> Coffer server shutting down\n');
  await stop();
  return 0;
}
