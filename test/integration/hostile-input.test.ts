// Hostile input never crashes the server: random bytes on the socket, random methods, paths,
// headers and bodies against every mounted engine. Afterwards the server still answers and the
// canary secret is unchanged. Bounded and seeded, so the run is deterministic.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startTestServer, type TestServer } from '../helpers/server.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function rawSend(address: string, bytes: Buffer): Promise<string> {
  const url = new URL(address);
  return new Promise((resolve) => {
    const sock = net.connect(Number(url.port), url.hostname, () => sock.end(bytes));
    let data = '';
    sock.setTimeout(2000, () => sock.destroy());
    sock.on('data', (c) => { data += c.toString('latin1'); });
    sock.on('close', () => resolve(data));
    sock.on('error', () => resolve(data));
  });
}

describe('hostile input', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ kv2At: 'secret' });
    await srv.request('POST', 'sys/mounts/kv', { token: srv.rootToken, body: { type: 'kv' } });
    await srv.request('POST', 'secret/data/canary', { token: srv.rootToken, body: { data: { v: 'unchanged' } } });
  });
  after(async () => { await srv.stop(); });

  it('answers LIST and ?list= on the API root (they once sent the mount lookup into an endless loop)', async () => {
    for (const [method, path] of [['LIST', ''], ['GET', '?list=true'], ['LIST', 'secret/..'], ['GET', '']] as const) {
      const res = await fetch(`${srv.address}/v1/${path}`, { method, headers: { 'X-Vault-Token': srv.rootToken }, signal: AbortSignal.timeout(10_000) });
      assert.ok(res.status >= 400 && res.status < 500, `${method} /v1/${path} → ${res.status}`);
    }
  });

  it('survives random bytes on the socket', async () => {
    const next = rng(7);
    for (let i = 0; i < 40; i++) {
      const len = Math.floor(next() * 600);
      const bytes = Buffer.alloc(len);
      for (let j = 0; j < len; j++) bytes[j] = Math.floor(next() * 256);
      const prefix = i % 2 === 0 ? Buffer.from(`LIST /v1/kv/${i} HTTP/1.1\r\n`) : Buffer.alloc(0);
      await rawSend(srv.address, Buffer.concat([prefix, bytes]));
    }
    assert.equal((await srv.request('GET', 'sys/health')).status, 200);
  });

  it('answers random requests with a status and a Vault error body, never a crash', async () => {
    const next = rng(Number(process.env.HOSTILE_SEED ?? 42));
    const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)]!;
    const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'LIST', 'HEAD', 'OPTIONS'];
    const segments = ['secret', 'data', 'metadata', 'kv', 'sys', 'mounts', 'auth', 'token', 'create', 'cubbyhole', 'policy', 'x', '%00', '%ff', '..', 'ü', '{{x}}', 'a'.repeat(300), 'config', 'destroy', 'undelete', 'wrapping', 'unwrap', 'tools', 'random', 'hash', 'capabilities-self', 'internal', 'ui', 'policies', 'acl', 'password', 'generate', 'audit', 'audit-hash', 'lookup', 'renew-self', 'revoke', 'accessors', 'metrics', 'subkeys', 'seal-status', 'health', 'rotate', 'key-status', 'tune', 'lookup-accessor', 'create-orphan', 'rewrap', 'wrap', 'capabilities'];
    const bodies: Array<string | undefined> = [
      undefined, '', '{}', '[]', 'null', '"str"', '123', '{"data":', '{"data":{"a":1}}', '{"data":"x"}', '{"options":{"cas":"x"},"data":{}}',
      '{"policies":{"a":1}}', '{"ttl":-5}', '{"ttl":"99999999999999h"}', '{"type":"kv","options":{"version":"9"}}', '{"policy":"path \\"*\\" {"}',
      '{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"x":1}}}', JSON.stringify({ deep: JSON.parse('['.repeat(500) + ']'.repeat(500)) }),
      '{"versions":"1,2,x"}', '{"bytes":"-1"}', '{"input":"!!!"}', '{"key":"zz","reset":"maybe"}',
    ];
    for (let i = 0; i < 400; i++) {
      const path = Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(segments)).join('/');
      const method = pick(methods);
      const body = method === 'GET' || method === 'HEAD' ? undefined : pick(bodies);
      const headers: Record<string, string> = { 'X-Vault-Token': next() < 0.8 ? srv.rootToken : pick(['', 'hvs.bogus', 'x'.repeat(20000)]) };
      if (method === 'PATCH' && next() < 0.5) headers['Content-Type'] = 'application/merge-patch+json';
      if (next() < 0.1) headers['X-Vault-Wrap-TTL'] = pick(['5m', '-1', 'abc', '0']);
      if (process.env.HOSTILE_TRACE) process.stderr.write(`${i} ${method} ${path.slice(0, 80)} ${body?.slice(0, 60)}\n`);
      let status = 0;
      let text = '';
      try {
        const res = await fetch(`${srv.address}/v1/${path}${next() < 0.2 ? '?list=' + pick(['true', 'x', '']) : ''}`, { method, headers, body, signal: AbortSignal.timeout(10_000) });
        status = res.status;
        text = await res.text();
      } catch (err) {
        if ((err as Error).name === 'TimeoutError') throw new Error(`${method} ${path}: no answer within 10 s`);
        continue; // the client refused to send it (e.g. an invalid header value); nothing reached the server
      }
      assert.ok(status >= 200 && status < 600, `${method} ${path}: ${status}`);
      if (status >= 400 && method !== 'HEAD' && text !== '') {
        const parsed = JSON.parse(text) as { errors?: unknown; warnings?: unknown };
        // Vault's one exception: a 404 may carry a normal envelope with warnings (KV v2 paths, spec §1.5).
        const envelope404 = status === 404 && Array.isArray(parsed.warnings);
        assert.ok(Array.isArray(parsed.errors) || envelope404, `${method} ${path} → ${status} without an errors array`);
      }
      assert.notEqual(status, 500, `${method} ${path} → 500: ${text}`);
    }
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    const canary = await srv.request('GET', 'secret/data/canary', { token: srv.rootToken });
    assert.equal(canary.status, 200, 'the server still answers (and was not sealed by the random requests)');
    assert.deepEqual(canary.body.data.data, { v: 'unchanged' });
  });
});
