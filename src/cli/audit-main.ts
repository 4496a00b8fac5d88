// `coffer audit …`: verify (offline, needs only the files and the device's chain key), key (fetches
// that key), enable, disable, list (the sys/audit API, like `vault audit …`).
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { verifyAuditFiles } from '../audit/verify.js';
import { ApiError, ConnectionError, createClient, type Client } from '../client/index.js';

export interface AuditCliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

const defaultIO: AuditCliIO = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
};

const USAGE = `Usage: coffer audit <subcommand> [options] [args]

  verify [-key-file=FILE | -device=PATH] [-live] [-strict] [-format=json] FILE...
      Proves the hash chain of audit FILEs (oldest first, e.g. audit.log.2 audit.log.1 audit.log).
      The chain key (hex) comes from -key-file, else COFFER_AUDIT_KEY, else -device=PATH asks the
      server (sys/audit-chain-key/PATH, needs sudo). Exit 0: intact; 1: tampering found; 2: error.
      -live     the last file is the log of a running server (no closing checkpoint yet); with
                -device, it must also contain the server's current chain head for the device
                (a log cut back to an earlier checkpoint, or replaced, fails)
      -strict   also fail on warnings (unclean shutdowns, chains that restart)
  key PATH                  Prints the chain key of the device at PATH (sudo).
  enable [-path=P] [-description=D] [-local] TYPE [KEY=VALUE...]
                            e.g. coffer audit enable file file_path=/var/log/coffer/audit.log
  disable PATH
  list [-detailed] [-format=json]

Server address: COFFER_ADDR or VAULT_ADDR; token: COFFER_TOKEN, VAULT_TOKEN or ~/.vault-token.
`;

class UsageError extends Error {}

interface Parsed {
  flags: Map<string, string | true>;
  args: string[];
}

/** Vault-style flags: -name, -name=value, --name value for value-taking flags; `--` ends flags. */
function parseArgs(argv: string[], valueFlags: readonly string[], boolFlags: readonly string[]): Parsed {
  const flags = new Map<string, string | true>();
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      args.push(a);
      continue;
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    if (valueFlags.includes(name)) {
      if (eq !== -1) flags.set(name, body.slice(eq + 1));
      else {
        const v = argv[++i];
        if (v === undefined) throw new UsageError(`flag -${name} needs a value`);
        flags.set(name, v);
      }
    } else if (boolFlags.includes(name)) {
      const v = eq === -1 ? 'true' : body.slice(eq + 1);
      if (v === 'true' || v === '1') flags.set(name, true);
      else if (v !== 'false' && v !== '0') throw new UsageError(`flag -${name} takes true or false`);
    } else {
      throw new UsageError(`unknown flag ${a}`);
    }
  }
  return { flags, args };
}

function flag(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

function client(env: NodeJS.ProcessEnv): Client {
  const address = env['COFFER_ADDR'] || env['VAULT_ADDR'] || 'http://127.0.0.1:8200';
  let token = env['COFFER_TOKEN'] || env['VAULT_TOKEN'];
  if (!token) {
    try {
      token = readFileSync(join(homedir(), '.vault-token'), 'utf8').trim();
    } catch {
      token = undefined;
    }
  }
  return createClient({ address, token, userAgent: 'coffer-cli' });
}

function parseHexKey(text: string, source: string): Uint8Array {
  const hex = text.trim();
  if (!/^([0-9a-fA-F]{2}){32}$/.test(hex)) throw new UsageError(`${source} must hold a 32-byte key as 64 hex characters`);
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

interface ChainInfo {
  key: string;
  /** The device's current chain head (null when the device is not enabled). */
  head: { seq: number; mac: string } | null;
}

async function fetchChainInfo(env: NodeJS.ProcessEnv, path: string): Promise<ChainInfo> {
  const body = await client(env).read<{ key: string; head?: { seq?: unknown; mac?: unknown } | null }>(`sys/audit-chain-key/${path.replace(/^\/+|\/+$/g, '')}`);
  const key = body?.data?.key;
  if (typeof key !== 'string') throw new Error(`the server returned no chain key for "${path}"`);
  const h = body?.data?.head;
  const head = h && typeof h.seq === 'number' && typeof h.mac === 'string' && h.seq > 0 ? { seq: h.seq, mac: h.mac } : null;
  return { key, head };
}

async function fetchChainKey(env: NodeJS.ProcessEnv, path: string): Promise<string> {
  return (await fetchChainInfo(env, path)).key;
}

async function verifyCommand(argv: string[], io: AuditCliIO): Promise<number> {
  const p = parseArgs(argv, ['key-file', 'device', 'format'], ['live', 'strict']);
  if (p.args.length === 0) throw new UsageError('verify needs at least one FILE');
  const format = flag(p, 'format') ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError('-format must be table or json');
  let key: Uint8Array;
  const keyFile = flag(p, 'key-file');
  const device = flag(p, 'device');
  const live = p.flags.has('live');
  // -live -device: the server's current head for the device, which the last file must contain.
  let info: ChainInfo | undefined;
  if (device !== undefined && (live || (keyFile === undefined && !io.env['COFFER_AUDIT_KEY']))) info = await fetchChainInfo(io.env, device);
  if (keyFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(keyFile, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read key file ${keyFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    key = parseHexKey(text, `key file ${keyFile}`);
  } else if (io.env['COFFER_AUDIT_KEY']) {
    key = parseHexKey(io.env['COFFER_AUDIT_KEY'], 'COFFER_AUDIT_KEY');
  } else if (info !== undefined) {
    key = parseHexKey(info.key, 'the server');
  } else {
    throw new UsageError('no chain key: pass -key-file=FILE, set COFFER_AUDIT_KEY, or pass -device=PATH');
  }
  const anchor = live && info?.head ? info.head : undefined;
  const r = await verifyAuditFiles(p.args, key, { live, anchor });
  if (live && info && !info.head) {
    r.warnings.push({ file: p.args.at(-1)!, line: 0, message: `the server reports no chain head for device "${device}" (not enabled, or sealed): the end of the log was not compared with it` });
  }
  const strictFail = p.flags.has('strict') && r.warnings.length > 0;
  if (format === 'json') {
    io.stdout(`${JSON.stringify({ ok: r.ok && !strictFail, problem: r.problem ?? null, warnings: r.warnings, files: r.files, lines: r.lines, entries: r.entries, checkpoints: r.checkpoints, first_seq: r.firstSeq, last_seq: r.lastSeq, last_hash: r.lastMac, server_head: anchor ?? null }, null, 2)}\n`);
  } else {
    for (const w of r.warnings) io.stderr(`coffer: warning: ${w.file}:${w.line}: ${w.message}\n`);
    if (r.problem) {
      io.stderr(`coffer: error: ${r.problem.file}:${r.problem.line}: ${r.problem.kind}: ${r.problem.message}\n`);
      if (r.problem.kind === 'modified' && r.problem.line === 1) io.stderr('hint: a MAC mismatch on the first line usually means the wrong key (each device path has its own)\n');
    } else {
      io.stdout(`OK: ${r.files} file(s), ${r.lines} lines (${r.entries} entries, ${r.checkpoints} checkpoints), chain seq ${r.firstSeq}..${r.lastSeq}, head ${r.lastMac}${anchor ? `; contains the server's head (seq ${anchor.seq})` : ''}\n`);
    }
  }
  if (r.problem?.kind === 'io') return 2;
  return r.ok && !strictFail ? 0 : 1;
}

async function enableCommand(argv: string[], io: AuditCliIO): Promise<number> {
  const p = parseArgs(argv, ['path', 'description'], ['local']);
  const [type, ...pairs] = p.args;
  if (!type) throw new UsageError('enable needs a TYPE (file or socket)');
  const options: Record<string, string> = {};
  for (const kv of pairs) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`options are KEY=VALUE, got "${kv}"`);
    options[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const path = (flag(p, 'path') ?? type).replace(/^\/+|\/+$/g, '');
  await client(io.env).write(`sys/audit/${path}`, { type, description: flag(p, 'description') ?? '', local: p.flags.has('local'), options });
  io.stdout(`Success! Enabled the ${type} audit device at: ${path}/\n`);
  return 0;
}

async function disableCommand(argv: string[], io: AuditCliIO): Promise<number> {
  const p = parseArgs(argv, [], []);
  if (p.args.length !== 1) throw new UsageError('disable needs exactly one PATH');
  const path = p.args[0]!.replace(/^\/+|\/+$/g, '');
  await client(io.env).delete(`sys/audit/${path}`);
  io.stdout(`Success! Disabled audit device (if it was enabled) at: ${path}/\n`);
  return 0;
}

interface DeviceRow {
  type: string;
  description: string;
  options: Record<string, string> | null;
  local: boolean;
  path: string;
}

async function listCommand(argv: string[], io: AuditCliIO): Promise<number> {
  const p = parseArgs(argv, ['format'], ['detailed']);
  const res = await client(io.env).request<Record<string, unknown>>('GET', 'sys/audit');
  const body = res.body ?? {};
  const table = (body['data'] && typeof body['data'] === 'object' ? body['data'] : body) as Record<string, DeviceRow>;
  const rows = Object.entries(table).filter(([, v]) => v && typeof v === 'object' && typeof v.type === 'string');
  if (flag(p, 'format') === 'json') {
    io.stdout(`${JSON.stringify(Object.fromEntries(rows), null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    io.stdout('No audit devices are enabled.\n');
    return 0;
  }
  const header = p.flags.has('detailed') ? ['Path', 'Type', 'Description', 'Replication', 'Options'] : ['Path', 'Type', 'Description'];
  const data = rows.map(([path, d]) => {
    const base = [path, d.type, d.description || 'n/a'];
    if (!p.flags.has('detailed')) return base;
    const opts = Object.entries(d.options ?? {}).map(([k, v]) => `${k}=${v}`).join(' ');
    return [...base, d.local ? 'local' : 'replicated', opts];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...data.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('    ').trimEnd();
  io.stdout(`${[fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...data.map(fmt)].join('\n')}\n`);
  return 0;
}

async function keyCommand(argv: string[], io: AuditCliIO): Promise<number> {
  const p = parseArgs(argv, [], []);
  if (p.args.length !== 1) throw new UsageError('key needs exactly one PATH');
  io.stdout(`${await fetchChainKey(io.env, p.args[0]!)}\n`);
  return 0;
}

/** Runs `coffer audit <argv…>`; returns the exit code. */
export async function main(argv: string[], io: AuditCliIO = defaultIO): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    switch (sub) {
      case 'verify': return await verifyCommand(rest, io);
      case 'enable': return await enableCommand(rest, io);
      case 'disable': return await disableCommand(rest, io);
      case 'list': return await listCommand(rest, io);
      case 'key': return await keyCommand(rest, io);
      case undefined: case '-h': case '-help': case '--help': case 'help':
        io.stdout(USAGE);
        return sub === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown subcommand "${sub}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`coffer: error: ${err.message}\nhint: run "coffer audit -help" for usage\n`);
      return 2;
    }
    if (err instanceof ApiError) {
      io.stderr(`coffer: error: ${err.status}: ${err.errors.join('; ') || 'request failed'}\n`);
      return 2;
    }
    if (err instanceof ConnectionError) {
      io.stderr(`coffer: error: ${err.message}\nhint: set COFFER_ADDR to the server address\n`);
      return 2;
    }
    throw err;
  }
}
