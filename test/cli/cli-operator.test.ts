// End-to-end: `coffer operator …` and `coffer status` through a server's whole life: init, unseal
// (argument and stdin), reset, key rotation, seal.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cliRunner } from './run-cli.js';

let server: TestServer;
let home: string;
let coffer: ReturnType<typeof cliRunner>;

before(async () => {
  server = await startTestServer({ uninitialized: true });
  home = mkdtempSync(join(tmpdir(), 'coffer-cli-op-'));
  coffer = cliRunner(home, { COFFER_ADDR: server.address });
});

after(async () => {
  await server?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('coffer operator', () => {
  let keys: string[] = [];
  let root = '';

  it('reports an uninitialized server', async () => {
    const s = await coffer(['operator', 'init', '-status']);
    assert.equal(s.code, 2);
    assert.match(s.stdout, /not initialized/);
  });

  it('initializes with -key-shares/-key-threshold and prints keys as JSON', async () => {
    const bad = await coffer(['operator', 'init', '-key-shares=2', '-key-threshold=3']);
    assert.equal(bad.code, 1);
    const r = await coffer(['operator', 'init', '-key-shares=3', '-key-threshold=2', '-format=json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.unseal_keys_b64.length, 3);
    assert.equal(out.unseal_keys_hex.length, 3);
    assert.equal(out.unseal_threshold, 2);
    assert.match(out.root_token, /^hvs\./);
    keys = out.unseal_keys_b64;
    root = out.root_token;
    assert.equal((await coffer(['operator', 'init', '-status'])).code, 0);
    const again = await coffer(['operator', 'init']);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already initialized/i);
  });

  it('shows sealed status with exit code 2 and unseal progress', async () => {
    const s = await coffer(['status']);
    assert.equal(s.code, 2);
    assert.match(s.stdout, /^Sealed\s+true$/m);
    assert.match(s.stdout, /^Unseal Progress\s+0\/2$/m);
    const sealedRead = await coffer(['kv', 'get', 'secret/x'], { env: { COFFER_TOKEN: root } });
    assert.equal(sealedRead.code, 2);
    assert.match(sealedRead.stderr, /^hint: the server is sealed/m);
  });

  it('unseals from an argument and from stdin, and can reset progress', async () => {
    const first = await coffer(['operator', 'unseal', keys[0]!]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^Unseal Progress\s+1\/2$/m);
    const reset = await coffer(['operator', 'unseal', '-reset']);
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stdout, /^Unseal Progress\s+0\/2$/m);
    assert.equal((await coffer(['operator', 'unseal', keys[1]!])).code, 0);
    const second = await coffer(['operator', 'unseal'], { stdin: `${keys[2]}\n` });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /^Sealed\s+false$/m);
    const s = await coffer(['status', '-format=json']);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(JSON.parse(s.stdout).sealed, false);
  });

  it('rotates the barrier key and shows the key status', async () => {
    const before = await coffer(['operator', 'key-status', '-format=json'], { env: { COFFER_TOKEN: root } });
    assert.equal(before.code, 0, before.stderr);
    const term = JSON.parse(before.stdout).term as number;
    const rot = await coffer(['operator', 'rotate'], { env: { COFFER_TOKEN: root } });
    assert.equal(rot.code, 0, rot.stderr);
    assert.match(rot.stdout, /Success! Rotated key/);
    assert.match(rot.stdout, new RegExp(`^Key Term\\s+${term + 1}$`, 'm'));
    assert.equal((await coffer(['operator', 'key-status', '-field=term'], { env: { COFFER_TOKEN: root } })).stdout, String(term + 1));
  });

  it('seals, after which status exits 2', async () => {
    const noToken = await coffer(['operator', 'seal']);
    assert.equal(noToken.code, 2);
    const r = await coffer(['operator', 'seal'], { env: { COFFER_TOKEN: root } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Success! Coffer is sealed/);
    assert.equal((await coffer(['status'])).code, 2);
  });

  it('rejects a malformed key while sealed, without echoing it', async () => {
    const wrong = 'bm90LWEta2V5LWF0LWFsbC1ub3QtYS1rZXk=';
    const r = await coffer(['operator', 'unseal', wrong]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /HTTP 400 on PUT \/v1\/sys\/unseal/);
    assert.ok(!r.stderr.includes(wrong));
  });
});
