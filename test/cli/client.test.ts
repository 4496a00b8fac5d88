// The typed API client against a real server: helpers, LIST as GET ?list=true, merge-patch, typed
// errors, 404 handling, KV mount detection, standby-style redirects and connection failures.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApiError, ConnectionError, createClient } from '../../src/client/client.js';
import { detectKvMount } from '../../src/client/kv.js';
import { createSysApi } from '../../src/client/sys.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;

before(async () => {
  server = await startTestServer();
});

after(async () => {
  await server?.stop();
});

describe('API client', () => {
  it('writes, reads, lists, patches and deletes', async () => {
    const c = createClient({ address: server.address, token: server.rootToken });
    assert.equal(await c.write('sys/mounts/cl', { type: 'kv', options: { version: '2' } }), null, '204 → null');
    const w = await c.write<{ version: number }>('cl/data/a/b', { data: { x: '1' } });
    assert.equal(w?.data?.version, 1);
    const p = await c.patch<{ version: number }>('cl/data/a/b', { data: { y: '2' } });
    assert.equal(p?.data?.version, 2);
    const r = await c.read<{ data: Record<string, string> }>('cl/data/a/b');
    assert.deepEqual(r?.data?.data, { x: '1', y: '2' });
    const l = await c.list('cl/metadata/');
    assert.deepEqual(l?.data?.keys, ['a/']);
    assert.equal(await c.list('cl/metadata/none/'), null, 'empty list → null');
    assert.equal(await c.read('cl/data/missing'), null, 'plain 404 → null');
    await c.delete('cl/data/a/b');
    const deleted = await c.read<{ data: unknown; metadata: { deletion_time: string } }>('cl/data/a/b');
    assert.equal(deleted?.data?.data, null, '404 with an envelope is returned');
    assert.notEqual(deleted?.data?.metadata.deletion_time, '');
  });

  it('throws ApiError with the status and the server\'s errors', async () => {
    const c = createClient({ address: server.address, token: 'hvs.bogus' });
    await assert.rejects(c.read('sys/mounts'), (err: unknown) => {
      assert.ok(err instanceof ApiError);
      assert.equal(err.status, 403);
      assert.ok(err.errors.some((e) => e.includes('permission denied')));
      assert.equal(err.method, 'GET');
      assert.equal(err.path, 'sys/mounts');
      return true;
    });
  });

  it('detects KV versions and mount paths', async () => {
    const c = createClient({ address: server.address, token: server.rootToken });
    await c.write('sys/mounts/v1kv', { type: 'kv' });
    assert.deepEqual(await detectKvMount(c, 'cl/some/path'), { mountPath: 'cl/', version: 2, type: 'kv' });
    assert.deepEqual(await detectKvMount(c, 'v1kv/x'), { mountPath: 'v1kv/', version: 1, type: 'kv' });
    await assert.rejects(detectKvMount(createClient({ address: server.address, token: 'hvs.bogus' }), 'cl/x'), ApiError);
  });

  it('reads the bare sys endpoints', async () => {
    const sys = createSysApi(createClient({ address: server.address, token: server.rootToken }));
    assert.equal(await sys.initStatus(), true);
    const s = await sys.sealStatus();
    assert.equal(s.sealed, false);
    assert.equal(s.type, 'shamir');
    const k = await sys.keyStatus();
    assert.ok(k.term >= 1);
  });

  it('follows a standby-style 307 redirect, keeping method, body and token', async () => {
    const redirector = http.createServer((req, res) => {
      res.writeHead(307, { Location: `${server.address}${req.url}` });
      res.end();
    });
    await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
    try {
      const port = (redirector.address() as AddressInfo).port;
      const c = createClient({ address: `http://127.0.0.1:${port}`, token: server.rootToken });
      const w = await c.write<{ version: number }>('cl/data/redirected', { data: { k: 'v' } });
      assert.equal(w?.data?.version, 1);
    } finally {
      await new Promise<void>((resolve) => redirector.close(() => resolve()));
    }
  });

  it('reports connection failures as ConnectionError with Node\'s code', async () => {
    const c = createClient({ address: 'http://127.0.0.1:1' });
    await assert.rejects(c.read('sys/health'), (err: unknown) => err instanceof ConnectionError && err.code === 'ECONNREFUSED');
  });

  it('rejects malformed addresses', () => {
    assert.throws(() => createClient({ address: 'not a url' }), /invalid address/);
    assert.throws(() => createClient({ address: 'ftp://x' }), /scheme must be http or https/);
  });
});
