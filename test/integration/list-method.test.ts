// The LIST verb over HTTP/1.1, however it arrives: node's HTTP parser does not know LIST, so
// Coffer recognises it in the byte stream before the parser. Raw sockets send it split over
// several TCP writes, pipelined before, between and after other requests on one connection, with
// an 8 KB header, and after requests with bodies (Content-Length and chunked) that must not be
// mistaken for the start of a request; over plain TCP and over TLS (and LIST over HTTP/2).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import http2 from 'node:http2';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createLogger, startServer, type StartedServer } from '../../src/server/start.js';
import { ROOT } from '../cli/run-cli.js';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A raw HTTP/1.1 client on one connection: writes bytes, reads complete responses in order. */
class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private closed = false;
  private readonly socket: net.Socket;
  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => { this.buf = Buffer.concat([this.buf, c]); this.wake(); });
    socket.on('close', () => { this.closed = true; this.wake(); });
    socket.on('error', () => undefined);
  }

  static connect(address: string): Promise<RawClient> {
    const url = new URL(address);
    return new Promise((resolve, reject) => {
      const s = url.protocol === 'https:'
        ? tls.connect({ port: Number(url.port), host: url.hostname, ALPNProtocols: ['http/1.1'], rejectUnauthorized: false }, () => resolve(new RawClient(s)))
        : net.connect(Number(url.port), url.hostname, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async write(data: string | Buffer): Promise<void> {
    await new Promise<void>((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())));
  }

  /** Sends the parts as separate TCP segments (Nagle off, a pause between writes). */
  async writeSplit(parts: Array<string | Buffer>): Promise<void> {
    for (const [i, p] of parts.entries()) {
      if (i > 0) await new Promise((r) => setTimeout(r, 40));
      await this.write(p);
    }
  }

  async response(timeoutMs = 10_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = this.buf.subarray(0, end).toString('latin1').split('\r\n');
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head[0] ?? '')?.[1]);
        const headers: Record<string, string> = {};
        for (const line of head.slice(1)) {
          const i = line.indexOf(':');
          headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
        }
        const len = Number(headers['content-length'] ?? 0);
        if (this.buf.length >= end + 4 + len) {
          const body = this.buf.subarray(end + 4, end + 4 + len).toString('utf8');
          this.buf = this.buf.subarray(end + 4 + len);
          return { status, headers, body };
        }
      }
      if (this.closed) throw new Error(`connection closed; unread: ${JSON.stringify(this.buf.toString('latin1').slice(0, 200))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no complete response within ${timeoutMs} ms; unread: ${JSON.stringify(this.buf.toString('latin1').slice(0, 200))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}

let token = '';
const req = (method: string, path: string, extra = '', body = '') =>
  `${method} /v1/${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Vault-Token: ${token}\r\n${extra}${body === '' ? '' : `Content-Length: ${Buffer.byteLength(body)}\r\n`}\r\n${body}`;
const keysOf = (r: RawResponse) => (JSON.parse(r.body) as { data: { keys: string[] } }).data.keys;

describe('LIST over plain HTTP/1.1', () => {
  let srv: TestServer;

  before(async () => {
    srv = await startTestServer({ kv2At: 'secret' });
    token = srv.rootToken;
    for (const k of ['a', 'b', 'c']) {
      assert.equal((await srv.request('POST', `secret/data/${k}`, { token, body: { data: { v: k } } })).status, 200);
    }
    assert.equal((await srv.request('POST', 'sys/mounts/kv', { token, body: { type: 'kv' } })).status, 204);
  });
  after(async () => { await srv.stop(); });

  it('answers a LIST whose request line arrives in two TCP segments, and keeps the connection', async () => {
    const c = await RawClient.connect(srv.address);
    try {
      const whole = req('LIST', 'secret/metadata/');
      await c.writeSplit([whole.slice(0, 12), whole.slice(12)]);
      const r = await c.response();
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(keysOf(r), ['a', 'b', 'c']);
      // Split inside the verb, and headers over several segments, on the same connection.
      await c.writeSplit([whole.slice(0, 2), whole.slice(2, 4), whole.slice(4, 40), whole.slice(40)]);
      const again = await c.response();
      assert.equal(again.status, 200, again.body);
      assert.deepEqual(keysOf(again), ['a', 'b', 'c']);
      assert.equal(c.isClosed, false);
    } finally {
      c.close();
    }
  });

  it('answers GET, LIST, GET pipelined on one connection, in order', async () => {
    const c = await RawClient.connect(srv.address);
    try {
      await c.write(req('GET', 'secret/data/a') + req('LIST', 'secret/metadata/') + req('GET', 'sys/health'));
      const first = await c.response();
      assert.equal(first.status, 200);
      assert.equal(JSON.parse(first.body).data.data.v, 'a');
      const second = await c.response();
      assert.equal(second.status, 200, second.body);
      assert.deepEqual(keysOf(second), ['a', 'b', 'c']);
      const third = await c.response();
      assert.equal(third.status, 200);
      assert.equal(JSON.parse(third.body).sealed, false);
    } finally {
      c.close();
    }
  });

  it('answers LIST first and LIST twice in a pipeline', async () => {
    const c = await RawClient.connect(srv.address);
    try {
      await c.write(req('LIST', 'secret/metadata/') + req('LIST', 'sys/policies/acl') + req('GET', 'secret/data/b'));
      assert.deepEqual(keysOf(await c.response()), ['a', 'b', 'c']);
      const policies = await c.response();
      assert.equal(policies.status, 200, policies.body);
      assert.ok(keysOf(policies).includes('default'));
      assert.equal(JSON.parse((await c.response()).body).data.data.v, 'b');
    } finally {
      c.close();
    }
  });

  it('answers a LIST with an 8 KB header', async () => {
    const c = await RawClient.connect(srv.address);
    try {
      const big = `X-Padding: ${'p'.repeat(8 * 1024)}\r\n`;
      const whole = req('LIST', 'secret/metadata/', big);
      await c.writeSplit([whole.slice(0, 3000), whole.slice(3000, 6000), whole.slice(6000)]);
      const r = await c.response();
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(keysOf(r), ['a', 'b', 'c']);
      await c.write(req('LIST', 'secret/metadata/', big) + req('GET', 'sys/health'));
      assert.deepEqual(keysOf(await c.response()), ['a', 'b', 'c']);
      assert.equal((await c.response()).status, 200);
    } finally {
      c.close();
    }
  });

  it('finds the next request after bodies, and never rewrites a body that starts with "LIST "', async () => {
    const c = await RawClient.connect(srv.address);
    try {
      const form = 'LIST =1';
      const chunked = ['7\r\nLIST =2\r\n', '0\r\n\r\n'].join('');
      await c.write(
        req('POST', 'kv/form', 'Content-Type: application/x-www-form-urlencoded\r\n', form)
        + req('LIST', 'secret/metadata/')
        + `POST /v1/kv/chunked HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Vault-Token: ${token}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`
        + req('LIST', 'secret/metadata/'),
      );
      assert.equal((await c.response()).status, 204);
      assert.deepEqual(keysOf(await c.response()), ['a', 'b', 'c']);
      assert.equal((await c.response()).status, 204);
      assert.deepEqual(keysOf(await c.response()), ['a', 'b', 'c']);
      // Pipelined requests are handled concurrently: read back once the writes have answered.
      await c.write(req('LIST', 'kv/') + req('GET', 'kv/form') + req('GET', 'kv/chunked'));
      assert.deepEqual(keysOf(await c.response()), ['chunked', 'form']);
      assert.deepEqual(JSON.parse((await c.response()).body).data, { 'LIST ': '1' });
      assert.deepEqual(JSON.parse((await c.response()).body).data, { 'LIST ': '2' });
    } finally {
      c.close();
    }
  });

  it('leaves other unknown methods to the HTTP parser', async () => {
    const c = await RawClient.connect(srv.address);
    try {
      await c.write('LISTEN /v1/sys/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      assert.equal((await c.response()).status, 400);
    } finally {
      c.close();
    }
    // A real LINK request is not a LIST.
    const l = await RawClient.connect(srv.address);
    try {
      await l.write(req('LINK', 'secret/metadata/'));
      assert.equal((await l.response()).status, 405);
    } finally {
      l.close();
    }
  });
});

describe('LIST over TLS: HTTP/1.1 and HTTP/2', () => {
  let server: StartedServer;
  before(async () => {
    const fixtures = join(ROOT, 'test', 'cli', 'fixtures');
    server = await startServer({
      storage: { type: 'memory' }, ui: false, logLevel: 'silent',
      listeners: [{ address: '127.0.0.1:0', tlsDisable: false, tlsCertFile: join(fixtures, 'test-only-localhost.crt'), tlsKeyFile: join(fixtures, 'test-only-localhost.key') }],
    }, createLogger('silent'));
    // Dev-mode initialisation: unsealed, kv v2 at secret/.
    token = (await server.core.initializeDev()).rootToken;
    const c = await RawClient.connect(server.address);
    try {
      for (const k of ['x', 'y']) {
        await c.write(req('POST', `secret/data/${k}`, 'Content-Type: application/json\r\n', JSON.stringify({ data: { v: k } })));
        assert.equal((await c.response()).status, 200);
      }
    } finally {
      c.close();
    }
  });
  after(async () => { await server.stop(); });

  it('answers a split LIST and a pipelined GET, LIST, GET over HTTP/1.1 on one TLS connection', async () => {
    assert.match(server.address, /^https:/);
    const c = await RawClient.connect(server.address);
    try {
      const whole = req('LIST', 'secret/metadata/');
      await c.writeSplit([whole.slice(0, 3), whole.slice(3, 20), whole.slice(20)]);
      assert.deepEqual(keysOf(await c.response()), ['x', 'y']);
      await c.write(req('GET', 'secret/data/x') + req('LIST', 'secret/metadata/') + req('GET', 'sys/health'));
      assert.equal(JSON.parse((await c.response()).body).data.data.v, 'x');
      assert.deepEqual(keysOf(await c.response()), ['x', 'y']);
      assert.equal((await c.response()).status, 200);
    } finally {
      c.close();
    }
  });

  it('answers LIST over HTTP/2', async () => {
    const session = http2.connect(server.address, { rejectUnauthorized: false });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const r = session.request({ ':method': 'LIST', ':path': '/v1/secret/metadata/', 'x-vault-token': token });
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (d: string) => { text += d; });
        r.on('end', () => resolve(text));
        r.on('error', reject);
        r.end();
      });
      assert.deepEqual((JSON.parse(body) as { data: { keys: string[] } }).data.keys, ['x', 'y']);
    } finally {
      session.close();
    }
  });
});
