// Running a production-style server from a config file: HCL and JSON parsing, `coffer server
// -config` as a process, TLS with HTTP/2 (where the LIST verb arrives natively), and the errors a
// bad config gets.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseConfig } from '../../src/server/config.js';
import { startServer, createLogger, type StartedServer } from '../../src/server/start.js';

const fixtures = new URL('../../../test/cli/fixtures/', import.meta.url).pathname;
const bin = new URL('../../../bin/coffer.js', import.meta.url).pathname;

describe('server configuration', () => {
  it('parses HCL and JSON into the same settings', () => {
    const hcl = parseConfig(`
      storage "sqlite" { path = "/var/lib/coffer/coffer.db" }
      listener "tcp" {
        address = "127.0.0.1:8200"
        tls_disable = true
      }
      api_addr = "http://127.0.0.1:8200"
      default_lease_ttl = "1h"
      max_lease_ttl = "24h"
      ui = true
    `, 'server.hcl');
    const json = parseConfig(JSON.stringify({
      storage: { sqlite: { path: '/var/lib/coffer/coffer.db' } },
      listener: [{ tcp: { address: '127.0.0.1:8200', tls_disable: true } }],
      api_addr: 'http://127.0.0.1:8200', default_lease_ttl: '1h', max_lease_ttl: '24h', ui: true,
    }), 'server.json');
    assert.deepEqual(hcl, json);
    assert.deepEqual(hcl.storage, { type: 'sqlite', path: '/var/lib/coffer/coffer.db' });
    assert.equal(hcl.defaultLeaseTTL, 3600);
    assert.equal(hcl.maxLeaseTTL, 86400);
    assert.equal(hcl.listeners[0]!.tlsDisable, true);
    const mem = parseConfig('storage "memory" {}\nlistener "tcp" { address = "127.0.0.1:0"\n tls_disable = "true" }');
    assert.deepEqual(mem.storage, { type: 'memory' });
  });

  it('refuses bad configs with a clear message', () => {
    const cases: Array<[string, RegExp]> = [
      ['storage "sqlite" { path = "x" }', /listener/],
      ['storage "etcd" {}\nlistener "tcp" { tls_disable = true }', /unsupported storage type "etcd"/],
      ['storage "sqlite" {}\nlistener "tcp" { tls_disable = true }', /path/],
      ['listener "tcp" { address = "127.0.0.1:1" }', /tls_cert_file/],
      ['storage "memory" {}\nlistener "tcp" { tls_disable = true }\nmax_lease_ttl = "soon"', /max_lease_ttl/],
      ['storage "memory" {}\nlistener "tcp" { tls_disable = true }\ndefault_lease_ttl = "2h"\nmax_lease_ttl = "1h"', /cannot exceed/],
      ['storage "memory" {}\nlistener "tcp" { tls_disable = true }\nbogus = 1', /unknown setting "bogus"/],
      ['storage "memory" { \nlistener', /line/],
      ['{"storage": ', /not valid JSON/],
    ];
    for (const [text, re] of cases) assert.throws(() => parseConfig(text), re, text);
  });

  describe('TLS listener with HTTP/2', () => {
    let server: StartedServer;
    let root = '';
    before(async () => {
      server = await startServer({
        storage: { type: 'memory' }, ui: false, logLevel: 'silent',
        listeners: [{ address: '127.0.0.1:0', tlsDisable: false, tlsCertFile: join(fixtures, 'test-only-localhost.crt'), tlsKeyFile: join(fixtures, 'test-only-localhost.key') }],
      }, createLogger('silent'));
      root = (await server.core.initializeDev()).rootToken;
    });
    after(async () => { await server.stop(); });

    it('speaks h2 and accepts LIST as a real method', async () => {
      const ca = readFileSync(join(fixtures, 'test-only-localhost.crt'));
      const session = http2.connect(server.address.replace('127.0.0.1', 'localhost'), { ca });
      try {
        const call = (method: string, path: string, body?: unknown) => new Promise<{ status: number; json: any }>((resolve, reject) => {
          const req = session.request({ ':method': method, ':path': `/v1/${path}`, 'x-vault-token': root, 'content-type': 'application/json' });
          let data = '';
          let status = 0;
          req.on('response', (h) => { status = Number(h[':status']); });
          req.on('data', (c: Buffer) => { data += c.toString(); });
          req.on('end', () => resolve({ status, json: data ? JSON.parse(data) : undefined }));
          req.on('error', reject);
          req.end(body === undefined ? undefined : JSON.stringify(body));
        });
        assert.equal((await call('POST', 'secret/data/tls/one', { data: { a: 'b' } })).status, 200);
        const list = await call('LIST', 'secret/metadata/tls');
        assert.equal(list.status, 200);
        assert.deepEqual(list.json.data.keys, ['one']);
      } finally {
        session.close();
      }
    });
  });

  it('`coffer server -config` runs a server that init, unseal and the CLI can use', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-config-'));
    let child: ChildProcess | undefined;
    try {
      const cfg = join(dir, 'server.hcl');
      writeFileSync(cfg, `storage "sqlite" { path = "${join(dir, 'data', 'coffer.db')}" }\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n`);
      child = spawn(process.execPath, [bin, 'server', `-config=${cfg}`], { stdio: ['ignore', 'pipe', 'pipe'] });
      const address = await new Promise<string>((resolve, reject) => {
        const rl = createInterface({ input: child!.stdout! });
        rl.on('line', (line) => { const m = /Listener:\s+(\S+)/.exec(line); if (m) resolve(m[1]!); });
        child!.once('exit', (code) => reject(new Error(`server exited ${code}`)));
      });
      const cli = (args: string[], env: Record<string, string> = {}) => new Promise<{ code: number; out: string; err: string }>((resolve) => {
        const p = spawn(process.execPath, [bin, ...args], { env: { ...process.env, HOME: dir, COFFER_ADDR: address, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = ''; let err = '';
        p.stdout.on('data', (c: Buffer) => { out += c; });
        p.stderr.on('data', (c: Buffer) => { err += c; });
        p.on('close', (code) => resolve({ code: code ?? -1, out, err }));
      });
      const init = await cli(['operator', 'init', '-key-shares=3', '-key-threshold=2', '-format=json']);
      assert.equal(init.code, 0, init.err);
      const { unseal_keys_b64: keysB64, keys_base64: keysBase64, root_token: rootToken } = JSON.parse(init.out);
      const keys: string[] = keysB64 ?? keysBase64;
      const first = await cli(['operator', 'unseal', '-format=json', keys[0]!]);
      assert.equal(JSON.parse(first.out).sealed, true, 'still sealed after one key');
      const unsealed = await cli(['operator', 'unseal', '-format=json', keys[1]!]);
      assert.equal(unsealed.code, 0, unsealed.err);
      assert.equal(JSON.parse(unsealed.out).sealed, false);
      assert.equal((await cli(['login', rootToken])).code, 0);
      assert.equal((await cli(['secrets', 'enable', '-version=2', '-path=secret', 'kv'])).code, 0);
      assert.equal((await cli(['kv', 'put', 'secret/app', 'user=me'])).code, 0);
      const got = await cli(['kv', 'get', '-field=user', 'secret/app']);
      assert.equal(got.out.trim(), 'me');
    } finally {
      child?.kill('SIGTERM');
      if (child && child.exitCode === null) await new Promise((r) => child!.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('`coffer server` refuses a missing or broken config with exit 1', async () => {
    const run = (args: string[]) => new Promise<{ code: number; err: string }>((resolve) => {
      const p = spawn(process.execPath, [bin, 'server', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.on('data', (c: Buffer) => { err += c; });
      p.on('close', (code) => resolve({ code: code ?? -1, err }));
    });
    const missing = await run(['-config=/nonexistent/server.hcl']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /coffer: error: config: cannot read/);
    const none = await run([]);
    assert.equal(none.code, 1);
    assert.match(none.err, /-dev or -config/);
  });
});
