// sys/rekey/* and sys/generate-root/* over HTTP, as an operator's clients drive them: raw requests
// for the wire format (bare JSON, no token, Vault's fields and messages), the npm node-vault client
// for root generation, and a restart on SQLite to show the new keys are what the stored keyring
// now opens. Every bad input is a 400 with Vault's message and leaves the progress where it was.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { decodeRootToken } from '../../src/lib/root-token.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const require = createRequire(import.meta.url);
const nodeVault = require('node-vault') as (opts: Record<string, unknown>) => any;

type Srv = TestServer;
const put = (s: Srv, path: string, body?: unknown, token?: string) => s.request('PUT', path, { body, token });
const get = (s: Srv, path: string, token?: string) => s.request('GET', path, { token });

/** Seals with the root token (unless sealed), then feeds `keys` to sys/unseal; whether it opened. */
async function sealAndUnseal(s: Srv, token: string, keys: string[]): Promise<{ opened: boolean; errors: string[] }> {
  if (!(await get(s, 'sys/seal-status')).body.sealed) {
    const sealed = await put(s, 'sys/seal', undefined, token);
    assert.equal(sealed.status, 204, JSON.stringify(sealed.body));
  }
  const errors: string[] = [];
  let opened = false;
  for (const key of keys) {
    const r = await put(s, 'sys/unseal', { key });
    if (r.status !== 200) errors.push(...(r.body?.errors ?? []));
    else opened = r.body.sealed === false;
  }
  if (!opened) await put(s, 'sys/unseal', { reset: true });
  return { opened, errors };
}

async function pgpKey(name: string) {
  const k = await openpgp.generateKey({ userIDs: [{ name }], format: 'object' });
  return { pub: Buffer.from(k.publicKey.write()).toString('base64'), priv: k.privateKey, fp: k.publicKey.getFingerprint() };
}

async function pgpDecrypt(b64: string, key: openpgp.PrivateKey): Promise<string> {
  const message = await openpgp.readMessage({ binaryMessage: new Uint8Array(Buffer.from(b64, 'base64')) });
  const { data } = await openpgp.decrypt({ message, decryptionKeys: key, format: 'binary' });
  return new TextDecoder().decode(data as Uint8Array);
}

describe('sys/rekey over HTTP', () => {
  let s: Srv;
  let keys: string[];
  let root: string;

  before(async () => {
    s = await startTestServer({ shares: 3, threshold: 2, kv2At: 'secret' });
    keys = s.unsealKeys;
    root = s.rootToken;
    assert.equal((await s.request('POST', 'secret/data/app', { token: root, body: { data: { v: 'survives rekeys' } } })).status, 200);
  });
  after(async () => { await s.stop(); });

  it('status before a rekey: bare JSON, no token needed, required = current threshold', async () => {
    const r = await get(s, 'sys/rekey/init');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { nonce: '', started: false, t: 0, n: 0, progress: 0, required: 2, pgp_fingerprints: null, backup: false, verification_required: false });
    assert.equal((await s.request('PATCH', 'sys/rekey/init', { body: {}, headers: { 'Content-Type': 'application/merge-patch+json' } })).status, 405);
    const verify = await get(s, 'sys/rekey/verify');
    assert.deepEqual([verify.status, verify.body.errors], [400, ['no rekey configuration found']]);
    const upd = await put(s, 'sys/rekey/update', { key: keys[0], nonce: 'x' });
    assert.deepEqual([upd.status, upd.body.errors], [400, ['no barrier rekey in progress']]);
    const recovery = await get(s, 'sys/rekey-recovery-key/init');
    assert.deepEqual([recovery.status, recovery.body.errors], [400, ['recovery rekeying not supported']]);
  });

  it('bad init parameters: 400 with Vault messages, nothing started', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ secret_shares: 3, secret_threshold: 5 }, 'provided threshold greater than the total shares'],
      [{ secret_shares: 300, secret_threshold: 3 }, 'invalid rekey seal configuration: shares must be less than 256'],
      [{ secret_shares: 3, secret_threshold: 1 }, 'invalid rekey seal configuration: threshold must be greater than one for multiple shares'],
      [{ secret_shares: 2, secret_threshold: 2, backup: true }, 'cannot request a backup of the new keys without providing PGP keys for encryption'],
      [{ secret_shares: 2, secret_threshold: 2, pgp_keys: ['x'] }, 'incorrect number of PGP keys for rekey'],
    ];
    for (const [body, message] of cases) {
      const r = await put(s, 'sys/rekey/init', body);
      assert.deepEqual([r.status, r.body.errors], [400, [message]], JSON.stringify(body));
    }
    const bad = await s.request('PUT', 'sys/rekey/init', { body: '{"secret_shares": 3,' });
    assert.equal(bad.status, 400);
    assert.equal((await get(s, 'sys/rekey/init')).body.started, false);
  });

  it('2-of-3 to 3-of-5: progress, bad shares refused without advancing it, new keys returned; old keys no longer unseal', async () => {
    const init = await put(s, 'sys/rekey/init', { secret_shares: 5, secret_threshold: 3 });
    assert.equal(init.status, 200);
    const nonce = init.body.nonce as string;
    assert.match(nonce, /^[0-9a-f-]{36}$/);
    assert.deepEqual({ ...init.body, nonce: '' }, { nonce: '', started: true, t: 3, n: 5, progress: 0, required: 2, pgp_fingerprints: null, backup: false, verification_required: false });
    const again = await put(s, 'sys/rekey/init', { secret_shares: 5, secret_threshold: 3 });
    assert.deepEqual([again.status, again.body.errors], [400, ['rekey already in progress']]);

    const first = await put(s, 'sys/rekey/update', { key: keys[0], nonce });
    assert.deepEqual([first.status, first.body.progress, first.body.started], [200, 1, true]);
    const refusals: [Record<string, unknown>, RegExp][] = [
      [{ key: keys[1], nonce: 'not-the-nonce' }, new RegExp(`^incorrect nonce supplied; nonce for this rekey operation is "${nonce}"$`)],
      [{ key: keys[0], nonce }, /^given key has already been provided during this generation operation$/],
      [{ key: 'this is not base64!', nonce }, /^'key' must be a valid hex or base64 string$/],
      [{ key: 'AAAA', nonce }, /^invalid key: key is shorter than minimum 16 bytes$/],
      [{ nonce }, /^'key' must be specified in request body as JSON$/],
    ];
    for (const [body, re] of refusals) {
      const r = await put(s, 'sys/rekey/update', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.body.errors[0], re);
    }
    assert.equal((await get(s, 'sys/rekey/init')).body.progress, 1);

    const done = await put(s, 'sys/rekey/update', { KEY: keys[2], Nonce: nonce }); // field names match case-insensitively, as Go's JSON does
    assert.equal(done.status, 200);
    assert.deepEqual(Object.keys(done.body), ['nonce', 'complete', 'keys', 'keys_base64', 'pgp_fingerprints', 'backup', 'verification_required']);
    assert.equal(done.body.complete, true);
    assert.equal(done.body.nonce, nonce);
    assert.equal(done.body.keys.length, 5);
    const status = await get(s, 'sys/seal-status');
    assert.deepEqual([status.body.t, status.body.n], [3, 5]);
    assert.equal((await get(s, 'sys/rekey/init')).body.started, false);

    // All three old shares: enough for the new threshold of 3, but they combine to the old root key.
    const old = await sealAndUnseal(s, root, keys.slice(0, 3));
    assert.equal(old.opened, false);
    assert.deepEqual(old.errors, ['Error unsealing: cipher: message authentication failed (unseal progress was reset)']);
    const fresh = await sealAndUnseal(s, root, [done.body.keys[4], done.body.keys_base64[0], done.body.keys[2]]);
    assert.equal(fresh.opened, true, fresh.errors.join());
    assert.equal((await get(s, 'secret/data/app', root)).body.data.data.v, 'survives rekeys');
    keys = done.body.keys;
  });

  it('shares of another cluster: the quorum is refused, progress reset, current keys still valid', async () => {
    const other = await startTestServer({ shares: 5, threshold: 3 });
    try {
      const { nonce } = (await put(s, 'sys/rekey/init', { secret_shares: 5, secret_threshold: 3 })).body;
      for (const k of other.unsealKeys.slice(0, 2)) assert.equal((await put(s, 'sys/rekey/update', { key: k, nonce })).status, 200);
      const r = await put(s, 'sys/rekey/update', { key: other.unsealKeys[2], nonce });
      assert.deepEqual([r.status, r.body.errors], [400, ['root key verification failed: Unseal failed, invalid key']]);
      const st = (await get(s, 'sys/rekey/init')).body;
      assert.deepEqual([st.started, st.progress, st.nonce], [true, 0, nonce]);
      // Cancelling within ten minutes needs the nonce (body or query).
      const noNonce = await s.request('DELETE', 'sys/rekey/init');
      assert.deepEqual([noNonce.status, noNonce.body.errors], [400, ['invalid request']]);
      assert.equal((await s.request('DELETE', `sys/rekey/init?nonce=${nonce}`)).status, 204);
      assert.equal((await get(s, 'sys/rekey/init')).body.started, false);
      assert.equal((await sealAndUnseal(s, root, keys.slice(1, 4))).opened, true);
    } finally {
      await other.stop();
    }
  });

  it('require_verification: new keys inactive until a threshold of them is entered back', async () => {
    const init = await put(s, 'sys/rekey/init', { secret_shares: 3, secret_threshold: 2, require_verification: true });
    assert.equal(init.body.verification_required, true);
    const nonce = init.body.nonce;
    let done: any;
    for (const k of keys.slice(0, 3)) done = (await put(s, 'sys/rekey/update', { key: k, nonce })).body;
    assert.equal(done.complete, true);
    assert.equal(done.verification_required, true);
    assert.match(done.verification_nonce, /^[0-9a-f-]{36}$/);
    const vnonce = done.verification_nonce;
    assert.deepEqual((await get(s, 'sys/rekey/verify')).body, { nonce: vnonce, started: true, t: 2, n: 3, progress: 0 });
    assert.equal((await get(s, 'sys/rekey/init')).body.verification_nonce, vnonce);
    assert.equal((await get(s, 'sys/seal-status')).body.n, 5, 'still the old keys');

    const wrongNonce = await put(s, 'sys/rekey/verify', { key: done.keys[0], nonce: 'x' });
    assert.match(wrongNonce.body.errors[0], /^incorrect nonce supplied; nonce for this verify operation is/);
    assert.equal((await put(s, 'sys/rekey/verify', { key: done.keys[0], nonce: vnonce })).body.progress, 1);
    const restarted = await s.request('DELETE', 'sys/rekey/verify');
    assert.equal(restarted.status, 200);
    assert.equal(restarted.body.progress, 0);
    assert.notEqual(restarted.body.nonce, vnonce);
    // Old shares offered as new ones: refused at the threshold.
    await put(s, 'sys/rekey/verify', { key: keys[0], nonce: restarted.body.nonce });
    const wrong = await put(s, 'sys/rekey/verify', { key: keys[1], nonce: restarted.body.nonce });
    assert.deepEqual([wrong.status, wrong.body.errors], [400, ['rekey verification failed; incorrect key shares supplied']]);
    const v2 = (await get(s, 'sys/rekey/verify')).body;
    assert.equal(v2.progress, 0);
    await put(s, 'sys/rekey/verify', { key: done.keys[2], nonce: v2.nonce });
    const ok = await put(s, 'sys/rekey/verify', { key: done.keys_base64[1], nonce: v2.nonce });
    assert.deepEqual(ok.body, { nonce: v2.nonce, complete: true });
    assert.deepEqual([(await get(s, 'sys/seal-status')).body.t, (await get(s, 'sys/seal-status')).body.n], [2, 3]);
    assert.equal((await sealAndUnseal(s, root, keys.slice(0, 3))).opened, false);
    assert.equal((await sealAndUnseal(s, root, [done.keys[0], done.keys[1]])).opened, true);
    keys = done.keys;
  });

  it('PGP-encrypted new keys with a backup: GET/DELETE sys/rekey/backup with a token', async () => {
    const alice = await pgpKey('alice');
    const bob = await pgpKey('bob');
    const init = await put(s, 'sys/rekey/init', { secret_shares: 2, secret_threshold: 2, pgp_keys: [alice.pub, bob.pub], backup: true });
    assert.deepEqual(init.body.pgp_fingerprints, [alice.fp, bob.fp]);
    assert.equal(init.body.backup, true);
    let done: any;
    for (const k of keys.slice(0, 2)) done = (await put(s, 'sys/rekey/update', { key: k, nonce: init.body.nonce })).body;
    assert.deepEqual(done.pgp_fingerprints, [alice.fp, bob.fp]);
    const shares = [await pgpDecrypt(done.keys_base64[0], alice.priv), await pgpDecrypt(done.keys_base64[1], bob.priv)];
    for (const sh of shares) assert.match(sh, /^[0-9a-f]{66}$/);

    assert.equal((await get(s, 'sys/rekey/backup')).status, 403);
    const backup = await get(s, 'sys/rekey/backup', root);
    assert.equal(backup.status, 200);
    assert.equal(backup.body.data.nonce, init.body.nonce);
    assert.deepEqual(backup.body.data.keys, { [alice.fp]: [done.keys[0]], [bob.fp]: [done.keys[1]] });
    assert.deepEqual(backup.body.data.keys_base64, { [alice.fp]: [done.keys_base64[0]], [bob.fp]: [done.keys_base64[1]] });
    assert.deepEqual(backup.body.keys, backup.body.data.keys, 'copied to the top level as Vault does for old clients');
    assert.equal((await s.request('DELETE', 'sys/rekey/backup', { token: root })).status, 204);
    const gone = await get(s, 'sys/rekey/backup', root);
    assert.deepEqual([gone.status, gone.body.errors], [400, ['no backed-up keys found']]);
    assert.equal((await sealAndUnseal(s, root, shares)).opened, true);
    keys = shares;
  });

  it('sealed: 503 "Vault is sealed"; an attempt does not survive a seal', async () => {
    await put(s, 'sys/rekey/init', { secret_shares: 1, secret_threshold: 1 });
    assert.equal((await put(s, 'sys/seal', undefined, root)).status, 204);
    for (const r of [await get(s, 'sys/rekey/init'), await put(s, 'sys/rekey/init', { secret_shares: 1, secret_threshold: 1 }), await put(s, 'sys/rekey/update', { key: keys[0], nonce: 'x' })]) {
      assert.deepEqual([r.status, r.body.errors], [503, ['Vault is sealed']]);
    }
    for (const k of keys) await put(s, 'sys/unseal', { key: k });
    assert.equal((await get(s, 'sys/rekey/init')).body.started, false);
  });
});

describe('sys/generate-root over HTTP', () => {
  let s: Srv;

  before(async () => { s = await startTestServer({ shares: 3, threshold: 2 }); });
  after(async () => { await s.stop(); });

  it('OTP generated by the server replaces a revoked root token', async () => {
    // The only root token is revoked: nothing could create another without generate-root.
    assert.equal((await s.request('POST', 'auth/token/revoke-self', { token: s.rootToken })).status, 204);
    assert.equal((await get(s, 'auth/token/lookup-self', s.rootToken)).status, 403);

    const idle = await get(s, 'sys/generate-root/attempt');
    assert.deepEqual(idle.body, {
      nonce: '', started: false, progress: 0, required: 2, complete: false, encoded_token: '', encoded_root_token: '', pgp_fingerprint: '', otp: '', otp_length: 28,
    });
    const start = await put(s, 'sys/generate-root/attempt');
    assert.equal(start.status, 200);
    assert.match(start.body.otp, /^[0-9A-Za-z]{28}$/);
    assert.equal(start.body.otp_length, 28);
    const nonce = start.body.nonce;
    const again = await put(s, 'sys/generate-root/attempt', {});
    assert.deepEqual([again.status, again.body.errors], [400, ['root generation already in progress']]);
    assert.equal((await get(s, 'sys/generate-root/attempt')).body.otp, '', 'the OTP is shown once');

    const one = await put(s, 'sys/generate-root/update', { key: s.unsealKeys[1], nonce });
    assert.deepEqual([one.body.progress, one.body.complete, one.body.encoded_token], [1, false, '']);
    for (const [body, re] of [
      [{ key: s.unsealKeys[2], nonce: 'bad' }, /^incorrect nonce supplied; nonce for this root generation operation is/],
      [{ key: s.unsealKeys[1], nonce }, /^given key has already been provided during this generation operation$/],
      [{ key: '@@@@', nonce }, /^'key' must be a valid hex or base64 string$/],
      [{ nonce }, /^'key' must be specified in request body as JSON$/],
    ] as [Record<string, unknown>, RegExp][]) {
      const r = await put(s, 'sys/generate-root/update', body);
      assert.equal(r.status, 400);
      assert.match(r.body.errors[0], re);
    }
    assert.equal((await get(s, 'sys/generate-root/attempt')).body.progress, 1);
    const done = await put(s, 'sys/generate-root/update', { key: s.unsealKeys[0], nonce });
    assert.equal(done.status, 200);
    assert.deepEqual({ ...done.body, encoded_token: '', encoded_root_token: '' }, {
      nonce, started: true, progress: 2, required: 2, complete: true, encoded_token: '', encoded_root_token: '', pgp_fingerprint: '', otp: '', otp_length: 0,
    });
    assert.equal(done.body.encoded_root_token, done.body.encoded_token);
    const token = decodeRootToken(done.body.encoded_token, start.body.otp);
    assert.match(token, /^hvs\.[0-9A-Za-z]{24}$/);
    const self = await get(s, 'auth/token/lookup-self', token);
    assert.deepEqual(self.body.data.policies, ['root']);
    assert.equal((await get(s, 'sys/generate-root/attempt')).body.started, false);
  });

  it('bad starts: wrong-length OTP, both otp and pgp_key, an unparsable PGP key', async () => {
    for (const [body, re] of [
      [{ otp: 'short' }, /^OTP string is wrong length$/],
      [{ otp: 'a'.repeat(28), pgp_key: 'abc' }, /only one of otp and pgp_key/],
      [{ pgp_key: 'bm90IGEga2V5' }, /error parsing PGP key/],
    ] as [Record<string, unknown>, RegExp][]) {
      const r = await put(s, 'sys/generate-root/attempt', body);
      assert.equal(r.status, 400);
      assert.match(r.body.errors[0], re);
    }
    assert.equal((await get(s, 'sys/generate-root/attempt')).body.started, false);
  });

  it('a quorum from another cluster is refused and no token is minted; cancel clears the attempt', async () => {
    const other = await startTestServer({ shares: 3, threshold: 2 });
    try {
      const { nonce } = (await put(s, 'sys/generate-root/attempt', { otp: 'B'.repeat(28) })).body;
      assert.equal((await put(s, 'sys/generate-root/update', { key: other.unsealKeys[0], nonce })).status, 200);
      const r = await put(s, 'sys/generate-root/update', { key: other.unsealKeys[1], nonce });
      assert.deepEqual([r.status, r.body.errors], [400, ['root generation aborted: root key verification failed: Unseal failed, invalid key']]);
      assert.deepEqual([(await get(s, 'sys/generate-root/attempt')).body.started, (await get(s, 'sys/generate-root/attempt')).body.progress], [true, 0]);
      assert.equal((await s.request('DELETE', 'sys/generate-root/attempt')).status, 204);
      assert.equal((await get(s, 'sys/generate-root/attempt')).body.started, false);
    } finally {
      await other.stop();
    }
  });

  it('PGP: the encoded token decrypts with the private key to a working root token', async () => {
    const alice = await pgpKey('alice');
    const start = await put(s, 'sys/generate-root/attempt', { pgp_key: alice.pub });
    assert.equal(start.body.pgp_fingerprint, alice.fp);
    assert.equal(start.body.otp, '');
    let done: any;
    for (const k of s.unsealKeys.slice(0, 2)) done = (await put(s, 'sys/generate-root/update', { key: k, nonce: start.body.nonce })).body;
    assert.equal(done.pgp_fingerprint, alice.fp);
    const token = await pgpDecrypt(done.encoded_token, alice.priv);
    assert.deepEqual((await get(s, 'auth/token/lookup-self', token)).body.data.policies, ['root']);
  });

  it('node-vault: generateRootInit, generateRootUpdate, generateRootCancel', async () => {
    const vault = nodeVault({ apiVersion: 'v1', endpoint: s.address });
    const otp = 'C'.repeat(28);
    const started = await vault.generateRootInit({ otp });
    assert.equal(started.started, true);
    assert.equal(started.required, 2);
    await vault.generateRootCancel();
    assert.equal((await get(s, 'sys/generate-root/attempt')).body.started, false);
    const again = await vault.generateRootInit({ otp });
    let res = await vault.generateRootUpdate({ key: s.unsealKeys[2], nonce: again.nonce });
    assert.equal(res.progress, 1);
    res = await vault.generateRootUpdate({ key: s.unsealKeys[0], nonce: again.nonce });
    assert.equal(res.complete, true);
    const token = decodeRootToken(res.encoded_token, otp);
    vault.token = token;
    assert.deepEqual((await vault.tokenLookupSelf()).data.policies, ['root']);
    await assert.rejects(vault.generateRootUpdate({ key: s.unsealKeys[0], nonce: again.nonce }), /no root generation in progress/);
  });

  it('sealed: 503, and the attempt is forgotten', async () => {
    const token = (await (async () => {
      const start = await put(s, 'sys/generate-root/attempt');
      let done: any;
      for (const k of s.unsealKeys.slice(0, 2)) done = (await put(s, 'sys/generate-root/update', { key: k, nonce: start.body.nonce })).body;
      return decodeRootToken(done.encoded_token, start.body.otp);
    })());
    await put(s, 'sys/generate-root/attempt');
    assert.equal((await put(s, 'sys/seal', undefined, token)).status, 204);
    const r = await get(s, 'sys/generate-root/attempt');
    assert.deepEqual([r.status, r.body.errors], [503, ['Vault is sealed']]);
    for (const k of s.unsealKeys.slice(0, 2)) await put(s, 'sys/unseal', { key: k });
    assert.equal((await get(s, 'sys/generate-root/attempt')).body.started, false);
  });
});

describe('rekey on SQLite survives a restart', () => {
  it('after a restart only the new keys open the stored keyring', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-rekey-'));
    const dbPath = join(dir, 'coffer.db');
    try {
      const first = await startTestServer({ sqlitePath: dbPath });
      const init = (await put(first, 'sys/init', { secret_shares: 3, secret_threshold: 2 })).body;
      for (const k of init.keys.slice(0, 2)) await put(first, 'sys/unseal', { key: k });
      await first.request('POST', 'sys/mounts/kv', { token: init.root_token, body: { type: 'kv' } });
      await first.request('POST', 'kv/x', { token: init.root_token, body: { v: 'on disk' } });
      const { nonce } = (await put(first, 'sys/rekey/init', { secret_shares: 2, secret_threshold: 2 })).body;
      let done: any;
      for (const k of init.keys.slice(1, 3)) done = (await put(first, 'sys/rekey/update', { key: k, nonce })).body;
      assert.equal(done.complete, true);
      await first.stop();

      const second = await startTestServer({ sqlitePath: dbPath });
      try {
        assert.deepEqual([(await get(second, 'sys/seal-status')).body.t, (await get(second, 'sys/seal-status')).body.n], [2, 2]);
        await put(second, 'sys/unseal', { key: init.keys[0] });
        const oldTry = await put(second, 'sys/unseal', { key: init.keys[1] });
        assert.equal(oldTry.status, 400);
        for (const k of done.keys) await put(second, 'sys/unseal', { key: k });
        assert.equal((await get(second, 'sys/seal-status')).body.sealed, false);
        assert.equal((await get(second, 'kv/x', init.root_token)).body.data.v, 'on disk');
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
