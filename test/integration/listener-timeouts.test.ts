// Vault's listener timeouts (http_read_header_timeout, http_read_timeout, http_idle_timeout) from
// the config file, applied to plain HTTP/1.1, HTTP/1.1 over TLS and HTTP/2: a client that never
// finishes its headers or its body, or keeps an idle connection, is disconnected. Deadlines in the
// assertions are generous (several times the configured timeout): only "is it closed" is tested.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import http2 from 'node:http2';
import { join } from 'node:path';
import { parseConfig } from '../../src/server/config.js';
import { DEFAULT_LISTENER_TIMEOUTS, nodeTimeouts } from '../../src/http/server.js';
import { startServer, createLogger, type StartedServer } from '../../src/server/start.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ROOT } from '../cli/run-cli.js';

const CERT = join(ROOT, 'test', 'cli', 'fixtures', 'test-only-localhost.crt');
const KEY = join(ROOT, 'test', 'cli', 'fixtures', 'test-only-localhost.key');
const DEADLINE_MS = 15_000;

const LISTENER = `
  http_read_header_timeout = "1s"
  http_read_timeout        = "3s"
  http_idle_timeout        = "2s"
`;

/** Resolves with the time until the socket closed, or rejects after DEADLINE_MS. */
function closedWithin(socket: net.Socket | tls.TLSSocket, opened: number): Promise<{ ms: number; data: string }> {
  return new Promise((resolve, reject) => {
    let data = '';
    socket.on('data', (c: Buffer) => { data += c.toString('latin1'); });
    socket.on('error', () => undefined);
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`still open after ${DEADLINE_MS} ms`)); }, DEADLINE_MS);
    socket.on('close', () => { clearTimeout(timer); resolve({ ms: Date.now() - opened, data }); });
  });
}

function connect(address: string): Promise<net.Socket> {
  const url = new URL(address);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(url.port), url.hostname, () => resolve(s));
    s.once('error', reject);
  });
}

describe('listener timeouts: configuration', () => {
  it('reads Vault\'s settings from the listener stanza', () => {
    const cfg = parseConfig(`listener "tcp" {\n tls_disable = true\n ${LISTENER}\n}`);
    assert.deepEqual(cfg.listeners[0]!.timeouts, { readHeaderMs: 1000, readMs: 3000, idleMs: 2000 });
    assert.equal(parseConfig('listener "tcp" {\n tls_disable = true\n http_idle_timeout = 0\n}').listeners[0]!.timeouts?.idleMs, 0);
    assert.throws(() => parseConfig('listener "tcp" {\n tls_disable = true\n http_read_timeout = "soon"\n}'), /http_read_timeout is not a valid duration/);
    assert.throws(() => parseConfig('listener "tcp" {\n tls_disable = true\n http_read_header_timeout = "-1s"\n}'), /http_read_header_timeout is not a valid duration/);
  });

  it('maps them to node\'s server settings with Vault\'s defaults and zero fallbacks', () => {
    assert.deepEqual(nodeTimeouts(DEFAULT_LISTENER_TIMEOUTS), { headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 300_000, connectionsCheckingInterval: 2_500 });
    // Zero header timeout → the read timeout; zero idle → read, then header; header capped by read.
    assert.deepEqual(nodeTimeouts({ readHeaderMs: 0, readMs: 8_000, idleMs: 0 }), { headersTimeout: 8_000, requestTimeout: 8_000, keepAliveTimeout: 8_000, connectionsCheckingInterval: 2_000 });
    assert.deepEqual(nodeTimeouts({ readHeaderMs: 4_000, readMs: 0, idleMs: 0 }), { headersTimeout: 4_000, requestTimeout: 0, keepAliveTimeout: 4_000, connectionsCheckingInterval: 1_000 });
    assert.equal(nodeTimeouts({ readHeaderMs: 20_000, readMs: 5_000, idleMs: 1 }).headersTimeout, 5_000);
    assert.equal(nodeTimeouts({ readHeaderMs: 0, readMs: 0, idleMs: 0 }).connectionsCheckingInterval, 30_000);
  });
});

describe('listener timeouts: plain HTTP/1.1', () => {
  let srv: TestServer;
  before(async () => {
    const cfg = parseConfig(`listener "tcp" {\n tls_disable = true\n ${LISTENER}\n}`);
    srv = await startTestServer({ listener: cfg.listeners[0] });
  });
  after(async () => { await srv.stop(); });

  it('disconnects a client that never completes its headers', async () => {
    const opened = Date.now();
    const s = await connect(srv.address);
    s.write('GET /v1/sys/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    const { ms } = await closedWithin(s, opened);
    assert.ok(ms >= 500, `closed after ${ms} ms, before the header timeout`);
  });

  it('disconnects a client that connects and sends nothing', async () => {
    const opened = Date.now();
    await closedWithin(await connect(srv.address), opened);
  });

  it('disconnects a client that never completes its body', async () => {
    const opened = Date.now();
    const s = await connect(srv.address);
    s.write('PUT /v1/sys/unseal HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"key":');
    // Keep trickling so only the whole-request deadline, not the header one, can apply.
    const trickle = setInterval(() => { if (!s.destroyed) s.write(' '); }, 400);
    try {
      const { ms } = await closedWithin(s, opened);
      assert.ok(ms >= 1_500, `closed after ${ms} ms, before the read timeout`);
    } finally {
      clearInterval(trickle);
    }
  });

  it('closes an idle keep-alive connection, after answering on it', async () => {
    const opened = Date.now();
    const s = await connect(srv.address);
    const closed = closedWithin(s, opened);
    s.write('GET /v1/sys/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const { data } = await closed;
    assert.match(data, /^HTTP\/1\.1 200 OK/);
    assert.match(data, /Keep-Alive: timeout=2/);
  });

  it('still serves ordinary requests', async () => {
    assert.equal((await srv.request('GET', 'sys/health')).status, 200);
  });
});

describe('listener timeouts: TLS (HTTP/1.1 and HTTP/2)', () => {
  let server: StartedServer;
  let port: number;
  before(async () => {
    const cfg = parseConfig(`listener "tcp" {\n address = "127.0.0.1:0"\n tls_cert_file = "${CERT}"\n tls_key_file = "${KEY}"\n ${LISTENER}\n}`);
    server = await startServer({ ...cfg, storage: { type: 'memory' }, logLevel: 'silent' }, createLogger('silent'));
    port = server.listeners[0]!.port;
  });
  after(async () => { await server.stop(); });

  it('disconnects an HTTP/1.1 client that never completes its headers', async () => {
    const opened = Date.now();
    const s = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const c = tls.connect({ port, host: '127.0.0.1', ALPNProtocols: ['http/1.1'], rejectUnauthorized: false }, () => resolve(c));
      c.once('error', reject);
    });
    assert.equal(s.alpnProtocol, 'http/1.1');
    s.write('GET /v1/sys/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    await closedWithin(s, opened);
  });

  it('disconnects a client that never completes the TLS handshake', async () => {
    const opened = Date.now();
    const s = await connect(`http://127.0.0.1:${port}`);
    s.write(Buffer.from([0x16, 0x03, 0x01]));
    await closedWithin(s, opened);
  });

  it('closes an idle HTTP/2 session after answering on it', async () => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false });
    session.on('error', () => undefined);
    const status = await new Promise<number>((resolve, reject) => {
      const req = session.request({ ':path': '/v1/sys/seal-status' });
      req.on('response', (h) => resolve(Number(h[':status'])));
      req.on('error', reject);
      req.resume();
      req.end();
    });
    assert.equal(status, 200);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { session.destroy(); reject(new Error(`HTTP/2 session still open after ${DEADLINE_MS} ms`)); }, DEADLINE_MS);
      session.on('close', () => { clearTimeout(timer); resolve(); });
    });
  });
});
