// What every command shares: terminal I/O, the common flags (HTTP and output), the client built from
// config, printing in the chosen format, and turning any failure into age-style messages + exit code.
import { homedir } from 'node:os';
import { createClient, type CallOptions, type Client, type Secret } from '../../client/client.js';
import { parseDurationSeconds } from '../../lib/duration.js';
import { resolveConfig, type CliConfig, type Env } from '../config.js';
import { dataRows, isEnvelope, isFormat, keysTable, rawField, renderValue, secretField, secretTable, warningsText, type Format } from '../output/format.js';
import { keyValueTable } from '../output/table.js';
import { CliError, describeError, EXIT_OK, UsageError } from './errors.js';
import { formatHelp, HelpRequested, parseArgv, type CommandDef, type FlagSpec, type Parsed } from './flags.js';

export const VERSION = '0.1.0';

export interface Io {
  env: Env;
  homeDir: string;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  out(s: string): void;
  err(s: string): void;
  readStdin(): Promise<string>;
  /** All of stdin as bytes (for input that may not be UTF-8); falls back to readStdin when absent. */
  readStdinBytes?(): Promise<Buffer>;
  /** Reads one line from the terminal without echoing it. */
  promptHidden(prompt: string): Promise<string>;
}

export function nodeIo(): Io {
  return {
    env: process.env,
    homeDir: process.env['HOME'] || homedir(),
    stdinIsTTY: process.stdin.isTTY === true,
    stdoutIsTTY: process.stdout.isTTY === true,
    out: (s) => { process.stdout.write(s); },
    err: (s) => { process.stderr.write(s); },
    readStdin: async () => (await readStdinBytes()).toString('utf8'),
    readStdinBytes,
    promptHidden,
  };
}

async function readStdinBytes(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err?: Error) => {
      stdin.setRawMode(wasRaw);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new CliError('interrupted', [], 130));
        if (ch === '\u0004') { if (value === '') return done(); continue; }
        if (ch === '\u007f' || ch === '\b') { value = value.slice(0, -1); continue; }
        value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

export const HTTP_FLAGS: readonly FlagSpec[] = [
  { name: 'address', kind: 'string', value: 'URL', usage: 'Server address (default: $COFFER_ADDR, then $VAULT_ADDR, then https://127.0.0.1:8200).' },
  { name: 'namespace', aliases: ['ns'], kind: 'string', value: 'NS', usage: 'Namespace sent as X-Vault-Namespace (default: $COFFER_NAMESPACE / $VAULT_NAMESPACE).' },
  { name: 'ca-cert', kind: 'string', value: 'FILE', usage: 'PEM CA certificate to verify the server with (default: $COFFER_CACERT / $VAULT_CACERT).' },
  { name: 'tls-skip-verify', kind: 'bool', usage: 'Do not verify the server certificate (dev only; also $VAULT_SKIP_VERIFY).' },
];

export const FORMAT_FLAG: FlagSpec = { name: 'format', kind: 'string', value: 'table|json|yaml', usage: 'Output format (default: $COFFER_FORMAT / $VAULT_FORMAT, else table).' };
export const FIELD_FLAG: FlagSpec = { name: 'field', kind: 'string', value: 'NAME', usage: 'Print only this field, raw (no trailing newline unless stdout is a terminal).' };
export const OUTPUT_FLAGS: readonly FlagSpec[] = [FORMAT_FLAG, FIELD_FLAG];
export const WRAP_TTL_FLAG: FlagSpec = {
  name: 'wrap-ttl', kind: 'string', value: 'DURATION',
  usage: 'Wrap the response in a single-use token valid this long (e.g. 5m; default: $COFFER_WRAP_TTL / $VAULT_WRAP_TTL); get it back with "coffer unwrap".',
};

/** A -wrap-ttl value checked here (Go duration or seconds, > 0) and sent as whole seconds. */
export function parseWrapTTL(raw: string): string {
  const what = `-wrap-ttl ${JSON.stringify(raw)}`;
  const hints = ['use a positive duration such as -wrap-ttl=5m, -wrap-ttl=1h or -wrap-ttl=300 (seconds)'];
  let seconds: number;
  try {
    seconds = parseDurationSeconds(raw, what);
  } catch (err) {
    throw new UsageError((err as Error).message, hints);
  }
  if (seconds < 1) throw new UsageError(`invalid ${what}: a wrapping token must live at least one second`, hints);
  return String(seconds);
}

export interface Ctx {
  io: Io;
  p: Parsed;
  args: string[];
  format: Format;
  field: string | undefined;
  /**
   * Options for the command's main API call (never for preflight calls): `{wrapTTL}` when the
   * command takes -wrap-ttl and it (or $COFFER_WRAP_TTL / $VAULT_WRAP_TTL) is given.
   */
  readonly call: CallOptions;
  config: CliConfig;
  /** Created on first use, so local-only commands never need a valid address. */
  readonly client: Client;
  /** Strings that must never appear in an error message. */
  sensitive: Set<string>;
  /** Writes text to stdout. */
  print(text: string): void;
  /** A secret in the chosen format, or just -field. */
  printSecret(secret: Secret): void;
  /** A plain object: table rows sorted by key, or json/yaml of the object. */
  printData(data: Record<string, unknown>, rows?: [string, string][]): void;
  printKeys(keys: string[], whole: unknown): void;
  /** A line such as "Success! …", printed only with table output (as Vault does). */
  success(message: string): void;
  /** Prints a raw -field value, or fails with exit 1 when it is missing. */
  printField(found: { found: boolean; value: unknown }): void;
}

export interface Command {
  def: CommandDef;
  run(ctx: Ctx): Promise<number | void>;
}

export function makeCtx(io: Io, def: CommandDef, p: Parsed): Ctx {
  // A command may use -format for something else (tools random -format=hex): only FORMAT_FLAG is output.
  const formatRaw = (def.flags.includes(FORMAT_FLAG) ? p.str('format') : undefined) ?? io.env['COFFER_FORMAT'] ?? io.env['VAULT_FORMAT'] ?? 'table';
  const format = formatRaw.toLowerCase();
  if (!isFormat(format)) throw new UsageError(`invalid format ${JSON.stringify(formatRaw)}`, ['use -format=table, -format=json or -format=yaml']);
  const config = resolveConfig(io.env, io.homeDir, {
    address: p.str('address'),
    namespace: p.str('namespace'),
    caCert: p.str('ca-cert'),
    tlsSkipVerify: p.has('tls-skip-verify') ? p.bool('tls-skip-verify') : undefined,
  });
  const sensitive = new Set<string>();
  if (config.token) sensitive.add(config.token);
  let client: Client | undefined;
  const field = p.str('field');
  const wrapRaw = def.flags.includes(WRAP_TTL_FLAG) ? p.str('wrap-ttl') ?? (io.env['COFFER_WRAP_TTL'] || io.env['VAULT_WRAP_TTL'] || undefined) : undefined;
  const wrapTTL = wrapRaw === undefined ? undefined : parseWrapTTL(wrapRaw);
  const ctx: Ctx = {
    io,
    p,
    args: p.args,
    format,
    field,
    call: wrapTTL === undefined ? {} : { wrapTTL },
    config,
    sensitive,
    get client() {
      client ??= createClient({
        address: config.address,
        token: config.token,
        namespace: config.namespace,
        caCert: config.caCert,
        insecure: config.insecure,
        timeoutMs: config.timeoutMs,
        userAgent: `coffer-cli/${VERSION}`,
      });
      return client;
    },
    print: (text) => io.out(text),
    printSecret(secret) {
      // Bare sys endpoints (seal-status, init, leader, …) answer without the envelope: show them as data.
      if (!isEnvelope(secret)) return ctx.printData(secret as unknown as Record<string, unknown>);
      if (field !== undefined) return ctx.printField(secretField(secret, field));
      if (format !== 'table') return io.out(renderValue(secret, format));
      io.err(warningsText(secret.warnings));
      io.out(secretTable(secret));
    },
    printData(data, rows) {
      if (field !== undefined) return ctx.printField({ found: Object.prototype.hasOwnProperty.call(data, field), value: data[field] });
      if (format !== 'table') return io.out(renderValue(data, format));
      const r = rows ?? dataRows(data);
      if (r.length > 0) io.out(keyValueTable(r));
    },
    printKeys(keys, whole) {
      if (format !== 'table') return io.out(renderValue(whole, format));
      io.out(keysTable(keys));
    },
    success(message) {
      if (format === 'table' && field === undefined) io.out(`${message}\n`);
    },
    printField({ found, value }) {
      if (!found) throw new CliError(`field ${JSON.stringify(field)} not present in the response`, ['run the command without -field to see the available fields']);
      const text = rawField(value, format);
      io.out(io.stdoutIsTTY ? `${text}\n` : text);
    },
  };
  return ctx;
}

/** Parses argv for one command, runs it, reports any failure; returns the exit code. */
export async function execute(cmd: Command, argv: readonly string[], io: Io): Promise<number> {
  let ctx: Ctx | undefined;
  try {
    const p = parseArgv(cmd.def, argv);
    ctx = makeCtx(io, cmd.def, p);
    const code = await cmd.run(ctx);
    return code ?? EXIT_OK;
  } catch (err) {
    if (err instanceof HelpRequested) {
      io.out(formatHelp(err.def));
      return EXIT_OK;
    }
    return report(io, err, ctx);
  }
}

export function report(io: Io, err: unknown, ctx?: Ctx): number {
  const r = describeError(err, {
    address: ctx?.config.address ?? '',
    hasToken: ctx?.config.token !== undefined,
    sensitive: ctx?.sensitive ?? [],
  });
  io.err(`${r.lines.join('\n')}\n`);
  return r.exitCode;
}

/** A word that groups subcommands (`coffer kv metadata …`). */
export interface Group {
  summary: string;
  commands: Record<string, Command | Group>;
}

function summaryOf(entry: Command | Group): string {
  return 'def' in entry ? entry.def.summary : entry.summary;
}

/** Dispatches `coffer GROUP SUB …` to one of the group's commands (or a nested group). */
export async function dispatch(group: string, summary: string, commands: Record<string, Command | Group>, argv: readonly string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '-h' || sub === '-help' || sub === '--help' || sub === 'help') {
    const text = groupHelp(group, summary, commands);
    if (sub === undefined) {
      io.err(text);
      return 1;
    }
    io.out(text);
    return EXIT_OK;
  }
  const entry = Object.prototype.hasOwnProperty.call(commands, sub) ? commands[sub] : undefined;
  if (!entry) {
    return report(io, new UsageError(`unknown command "${group} ${sub}"`, [`commands: ${Object.keys(commands).map((c) => `${group} ${c}`).join(', ')}`]));
  }
  if ('def' in entry) return execute(entry, rest, io);
  return dispatch(`${group} ${sub}`, entry.summary, entry.commands, rest, io);
}

export function groupHelp(group: string, summary: string, commands: Record<string, Command | Group>): string {
  const names = Object.keys(commands);
  const width = Math.max(...names.map((n) => n.length));
  const lines = [`Usage: coffer ${group} <subcommand> [flags] [args]`, '', `  ${summary}`, '', 'Subcommands:'];
  for (const n of names) lines.push(`    ${n.padEnd(width)}    ${summaryOf(commands[n]!)}`);
  lines.push('', `Run "coffer ${group} <subcommand> -help" for the flags of one subcommand.`);
  return `${lines.join('\n')}\n`;
}
