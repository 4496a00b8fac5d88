// Starts a real Coffer server in this process on a random loopback port, initialised through
// sys/init and unsealed through sys/unseal over HTTP, as an operator would.
// Note: tests that run the CLI against it must spawn asynchronously (spawnSync would block this
// process's event loop, and with it the server).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, createLogger, type StartedServer } from '../../src/server/start.js';
import type { CoreExtensions } from '../../src/server/core.js';
import type { ListenerConfig } from '../../src/http/server.js';

export interface TestServerOptions {
  storage?: 'memory' | 'sqlite';
  /** Reuse an existing SQLite file (restart tests); implies sqlite. */
  sqlitePath?: string;
  shares?: number;
  threshold?: number;
  /** Leave the server uninitialised. */
  uninitialized?: boolean;
  /** Initialise but do not unseal. */
  sealed?: boolean;
  ext?: CoreExtensions;
  /** Mount a kv v2 engine at this path once unsealed (e.g. "secret"). */
  kv2At?: string;
  /** First retry delay of failed lease revocations (ms). */
  leaseRetryBaseMs?: number;
  /** Listener settings (JSON limits, timeouts); the address is always a random loopback port. */
  listener?: Partial<ListenerConfig>;
}

export interface TestServer {
  address: string;
  rootToken: string;
  unsealKeys: string[];
  server: StartedServer;
  dir: string;
  stop(): Promise<void>;
  /** Raw HTTP helper: path below /v1/. */
  request(method: string, path: string, opts?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-test-'));
  const useSqlite = opts.storage === 'sqlite' || opts.sqlitePath !== undefined;
  const storage = useSqlite ? { type: 'sqlite' as const, path: opts.sqlitePath ?? join(dir, 'coffer.db') } : { type: 'memory' as const };
  const server = await startServer(
    { storage, listeners: [{ tlsDisable: true, ...opts.listener, address: '127.0.0.1:0' }], ui: false, logLevel: 'silent', leaseRetryBaseMs: opts.leaseRetryBaseMs },
    createLogger('silent'),
    opts.ext,
  );
  const address = server.address;
  async function request(method: string, path: string, o: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers['X-Vault-Token'] = o.token;
    if (o.body !== undefined) headers['Content-Type'] ??= 'application/json';
    const res = await fetch(`${address}/v1/${path}`, {
      method, headers, body: o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body),
    });
    const text = await res.text();
    let body: unknown = text;
    try { body = text === '' ? undefined : JSON.parse(text); } catch { /* non-JSON body stays text */ }
    return { status: res.status, body: body as any, headers: res.headers };
  }
  let rootToken = '';
  let unsealKeys: string[] = [];
  if (!opts.uninitialized && !opts.sqlitePath) {
    const init = await request('PUT', 'sys/init', { body: { secret_shares: opts.shares ?? 1, secret_threshold: opts.threshold ?? 1 } });
    if (init.status !== 200) throw new Error(`init failed: ${init.status} ${JSON.stringify(init.body)}`);
    rootToken = init.body.root_token;
    unsealKeys = init.body.keys;
  }
  if (!opts.uninitialized && !opts.sealed && !opts.sqlitePath) {
    for (const key of unsealKeys.slice(0, opts.threshold ?? 1)) await request('PUT', 'sys/unseal', { body: { key } });
    if (opts.kv2At) {
      const m = await request('POST', `sys/mounts/${opts.kv2At}`, { token: rootToken, body: { type: 'kv', options: { version: '2' } } });
      if (m.status !== 204) throw new Error(`mounting kv v2 failed: ${m.status}`);
    }
  }
  return {
    address, rootToken, unsealKeys, server, dir, request,
    async stop() {
      await server.stop();
      if (!opts.sqlitePath) rmSync(dir, { recursive: true, force: true });
    },
  };
}
