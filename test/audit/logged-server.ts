// A real server (as test/helpers/server.ts starts one) whose server log is captured: the audit tests
// check what reaches the operator's log. Initialised and unsealed over HTTP unless `sqlitePath` names
// an existing database (restart tests: pass `unsealKeys` to unseal it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startServer, type StartedServer } from '../../src/server/start.js';

export type LogLine = Record<string, unknown> & { level: number; msg: string };

export interface LoggedServer {
  address: string;
  rootToken: string;
  unsealKeys: string[];
  server: StartedServer;
  dir: string;
  /** Every line the server logged so far (parsed). */
  lines: LogLine[];
  request(method: string, path: string, opts?: { token?: string; body?: unknown }): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export async function startLoggedServer(opts: { sqlitePath?: string; unsealKeys?: string[]; dir?: string } = {}): Promise<LoggedServer> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'coffer-audit-srv-'));
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug', base: undefined }, { write: (s: string) => { lines.push(JSON.parse(s) as LogLine); } });
  const storage = opts.sqlitePath ? { type: 'sqlite' as const, path: opts.sqlitePath } : { type: 'memory' as const };
  const server = await startServer({ storage, listeners: [{ address: '127.0.0.1:0', tlsDisable: true }], ui: false, logLevel: 'debug' }, logger);
  const address = server.address;
  async function request(method: string, path: string, o: { token?: string; body?: unknown } = {}) {
    const headers: Record<string, string> = {};
    if (o.token) headers['X-Vault-Token'] = o.token;
    const res = await fetch(`${address}/v1/${path}`, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
    const text = await res.text();
    let body: unknown = text;
    try { body = text === '' ? undefined : JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, body: body as any };
  }
  let rootToken = '';
  let unsealKeys = opts.unsealKeys ?? [];
  if (unsealKeys.length === 0) {
    const init = await request('PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
    if (init.status !== 200) throw new Error(`init failed: ${init.status}`);
    rootToken = init.body.root_token;
    unsealKeys = init.body.keys;
  }
  const unseal = await request('PUT', 'sys/unseal', { body: { key: unsealKeys[0] } });
  if (unseal.status !== 200 || unseal.body.sealed !== false) throw new Error(`unseal failed: ${unseal.status}`);
  return {
    address, rootToken, unsealKeys, server, dir, lines, request,
    async stop() {
      await server.stop();
      if (!opts.dir && !opts.sqlitePath) rmSync(dir, { recursive: true, force: true });
    },
  };
}
