// Durability: a server on SQLite keeps everything across a restart (after unseal), and the raw
// database file never holds a secret in plaintext.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../helpers/server.js';

describe('restart on SQLite', () => {
  it('write, stop, start, unseal, read back; no plaintext canary on disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-restart-'));
    const dbPath = join(dir, 'coffer.db');
    const canary = 'CANARY-7f3a9c-plaintext-must-not-appear';
    try {
      const first = await startTestServer({ sqlitePath: dbPath });
      const init = await first.request('PUT', 'sys/init', { body: { secret_shares: 3, secret_threshold: 2 } });
      const root = init.body.root_token as string;
      const keys = init.body.keys as string[];
      await first.request('PUT', 'sys/unseal', { body: { key: keys[0] } });
      await first.request('PUT', 'sys/unseal', { body: { key: keys[1] } });
      await first.request('POST', 'sys/mounts/secret', { token: root, body: { type: 'kv', options: { version: '2' } } });
      await first.request('POST', 'sys/mounts/legacy', { token: root, body: { type: 'kv' } });
      await first.request('POST', 'secret/data/app', { token: root, body: { data: { password: canary } } });
      await first.request('POST', 'legacy/app', { token: root, body: { password: canary } });
      await first.request('PUT', 'sys/policy/reader', { token: root, body: { policy: `path "secret/*" { capabilities = ["read"] } # ${canary}` } });
      const child = (await first.request('POST', 'auth/token/create', { token: root, body: { policies: ['reader'] } })).body.auth.client_token as string;
      await first.request('POST', 'cubbyhole/c', { token: root, body: { v: canary } });
      await first.stop();

      for (const f of readdirSync(dir)) {
        const bytes = readFileSync(join(dir, f));
        assert.equal(bytes.includes(Buffer.from(canary)), false, `${f} holds the canary in plaintext`);
        assert.equal(bytes.includes(Buffer.from(root)), false, `${f} holds the root token`);
        assert.equal(bytes.includes(Buffer.from(child)), false, `${f} holds a token`);
      }

      const second = await startTestServer({ sqlitePath: dbPath });
      try {
        assert.equal((await second.request('GET', 'sys/seal-status')).body.sealed, true);
        assert.equal((await second.request('GET', 'secret/data/app', { token: root })).status, 503);
        await second.request('PUT', 'sys/unseal', { body: { key: keys[2] } });
        const st = await second.request('PUT', 'sys/unseal', { body: { key: keys[0] } });
        assert.equal(st.body.sealed, false);
        assert.equal((await second.request('GET', 'secret/data/app', { token: root })).body.data.data.password, canary);
        assert.equal((await second.request('GET', 'legacy/app', { token: root })).body.data.password, canary);
        assert.equal((await second.request('GET', 'secret/data/app', { token: child })).body.data.data.password, canary);
        assert.equal((await second.request('GET', 'cubbyhole/c', { token: root })).body.data.v, canary);
        assert.equal((await second.request('GET', 'sys/mounts', { token: root })).body.data['secret/'].options.version, '2');
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
