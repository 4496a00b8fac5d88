import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as openpgp from 'openpgp';
import { createMemoryBackend } from '../../storage/memory.js';
import { Barrier } from '../barrier/barrier.js';
import { isAppError } from '../errors.js';
import { CANCEL_NONCE_WINDOW_MS, createRekeyOperation, UNSEAL_KEYS_BACKUP_PATH, type RekeyResult, type RekeyStatus } from './rekey.js';
import { createSealManager } from './seal-manager.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

async function setup(shares: number, threshold: number) {
  const physical = createMemoryBackend();
  const barrier = new Barrier(physical);
  const seal = createSealManager({ physical, barrier });
  let clock = 1_000_000;
  const rekey = createRekeyOperation({ seal, physical, now: () => clock });
  const { keys } = await seal.initialize({ secret_shares: shares, secret_threshold: threshold });
  for (const k of keys.slice(0, threshold)) await seal.submitUnsealKey(k);
  await barrier.put('data', bytes('kept'));
  return { physical, barrier, seal, rekey, keys, advance: (ms: number) => void (clock += ms) };
}

const rejectsWith = (code: string, pattern: RegExp) => (err: unknown) => {
  assert.ok(isAppError(err), String(err));
  assert.equal(err.code, code);
  assert.match(err.message, pattern);
  return true;
};

/** Seals, then unseals with `keys`; returns whether the barrier opened. */
async function reopensWith(s: Awaited<ReturnType<typeof setup>>, keys: string[]): Promise<boolean> {
  await s.seal.seal();
  await s.seal.resetUnseal();
  try {
    for (const k of keys) await s.seal.submitUnsealKey(k);
  } catch {
    return false;
  }
  return !s.seal.sealed;
}

describe('rekey', () => {
  it('refuses on an uninitialised or sealed node', async () => {
    const physical = createMemoryBackend();
    const seal = createSealManager({ physical, barrier: new Barrier(physical) });
    const rekey = createRekeyOperation({ seal, physical });
    await assert.rejects(rekey.status(), rejectsWith('ERR_INVALID_REQUEST', /^server is not yet initialized$/));
    await seal.initialize({ secret_shares: 1, secret_threshold: 1 });
    await assert.rejects(rekey.status(), rejectsWith('ERR_SEALED', /Vault is sealed/));
    await assert.rejects(rekey.init({ secret_shares: 1, secret_threshold: 1 }), rejectsWith('ERR_SEALED', /sealed/));
  });

  it('validates init with Vault messages and starts nothing on failure', async () => {
    const s = await setup(3, 2);
    // A key that parses but cannot be encrypted to (here: expired) is refused before any share is spent.
    const expired = await openpgp.generateKey({ userIDs: [{ name: 'old' }], date: new Date(Date.now() - 86_400_000), keyExpirationTime: 60, format: 'object' });
    const expiredB64 = Buffer.from(expired.publicKey.write()).toString('base64');
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ secret_shares: 3, secret_threshold: 4 }, /^provided threshold greater than the total shares$/],
      [{ secret_shares: 256, secret_threshold: 3 }, /^invalid rekey seal configuration: shares must be less than 256$/],
      [{ secret_shares: 0, secret_threshold: 0 }, /^invalid rekey seal configuration: shares must be at least one$/],
      [{ secret_shares: 3, secret_threshold: 1 }, /threshold must be greater than one for multiple shares/],
      [{ secret_shares: 'five', secret_threshold: 3 }, /secret_shares must be an integer/],
      [{ secret_shares: 2, secret_threshold: 2, backup: true }, /^cannot request a backup of the new keys without providing PGP keys for encryption$/],
      [{ secret_shares: 2, secret_threshold: 2, pgp_keys: ['a'] }, /^incorrect number of PGP keys for rekey$/],
      [{ secret_shares: 2, secret_threshold: 2, pgp_keys: ['a', 'b'] }, /error parsing PGP key/],
      [{ secret_shares: 1, secret_threshold: 1, pgp_keys: [expiredB64] }, /^pgp_keys\[0\]: PGP key [0-9a-f]{40} cannot be used for encryption/],
      [{ secret_shares: 2, secret_threshold: 2, require_verification: 'maybe' }, /require_verification must be a boolean/],
    ];
    for (const [req, re] of cases) await assert.rejects(s.rekey.init(req), rejectsWith('ERR_INVALID_REQUEST', re), JSON.stringify(req));
    assert.equal((await s.rekey.status()).started, false);
  });

  it('rekeys 2-of-3 into 3-of-5: the old shares stop working, the new ones open the same data', async () => {
    const s = await setup(3, 2);
    let st = await s.rekey.status();
    assert.deepEqual(st, { nonce: '', started: false, t: 0, n: 0, progress: 0, required: 2, pgp_fingerprints: null, backup: false, verification_required: false });
    st = await s.rekey.init({ secret_shares: 5, secret_threshold: 3 });
    assert.match(st.nonce, /^[0-9a-f-]{36}$/);
    assert.deepEqual({ ...st, nonce: '' }, { nonce: '', started: true, t: 3, n: 5, progress: 0, required: 2, pgp_fingerprints: null, backup: false, verification_required: false });
    await assert.rejects(s.rekey.init({ secret_shares: 5, secret_threshold: 3 }), rejectsWith('ERR_INVALID_REQUEST', /^rekey already in progress$/));
    const first = (await s.rekey.update(s.keys[2], st.nonce)) as RekeyStatus;
    assert.equal(first.progress, 1);
    const done = (await s.rekey.update(Buffer.from(s.keys[0]!, 'hex').toString('base64'), st.nonce)) as RekeyResult;
    assert.equal(done.complete, true);
    assert.equal(done.nonce, st.nonce);
    assert.equal(done.keys.length, 5);
    for (let i = 0; i < 5; i++) {
      assert.match(done.keys[i]!, /^[0-9a-f]{66}$/);
      assert.equal(Buffer.from(done.keys_base64[i]!, 'base64').toString('hex'), done.keys[i]);
    }
    assert.equal(done.verification_required, false);
    assert.equal(done.verification_nonce, undefined);
    assert.equal((await s.rekey.status()).started, false);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(await s.physical.get('core/seal-config'))), { type: 'shamir', secret_shares: 5, secret_threshold: 3, nonce: '' });
    assert.equal((await s.seal.status()).n, 5);

    assert.equal(await reopensWith(s, s.keys.slice(0, 2)), false, 'old shares still unseal');
    assert.equal(await reopensWith(s, [done.keys[4]!, done.keys[1]!, done.keys_base64[3]!]), true);
    assert.equal(new TextDecoder().decode(await s.barrier.get('data')), 'kept');
  });

  it('bad shares and nonces are refused without advancing progress', async () => {
    const s = await setup(3, 3);
    const { nonce } = await s.rekey.init({ secret_shares: 2, secret_threshold: 2 });
    await assert.rejects(s.rekey.update(s.keys[0], 'wrong'), rejectsWith('ERR_INVALID_REQUEST', new RegExp(`^incorrect nonce supplied; nonce for this rekey operation is "${nonce}"$`)));
    await s.rekey.update(s.keys[0], nonce);
    await assert.rejects(s.rekey.update(s.keys[0], nonce), rejectsWith('ERR_INVALID_REQUEST', /^given key has already been provided during this generation operation$/));
    await assert.rejects(s.rekey.update('not base64!', nonce), rejectsWith('ERR_INVALID_REQUEST', /^'key' must be a valid hex or base64 string$/));
    await assert.rejects(s.rekey.update('', nonce), rejectsWith('ERR_INVALID_REQUEST', /^'key' must be specified in request body as JSON$/));
    await assert.rejects(s.rekey.update(Buffer.alloc(8).toString('base64'), nonce), rejectsWith('ERR_INVALID_REQUEST', /key is shorter than minimum 16 bytes/));
    await assert.rejects(s.rekey.update('ab'.repeat(32), nonce), rejectsWith('ERR_INVALID_REQUEST', /expected a 33-byte key/));
    assert.equal((await s.rekey.status()).progress, 1);
  });

  it('shares of another cluster: refused at the threshold, progress reset, the attempt and the old keys kept', async () => {
    const s = await setup(3, 2);
    const other = await setup(3, 2);
    const { nonce } = await s.rekey.init({ secret_shares: 3, secret_threshold: 2 });
    // One foreign share cannot be told from a real one; the combination can.
    assert.equal(((await s.rekey.update(other.keys[0], nonce)) as RekeyStatus).progress, 1);
    await assert.rejects(s.rekey.update(other.keys[1], nonce), rejectsWith('ERR_INVALID_REQUEST', /^root key verification failed: Unseal failed, invalid key$/));
    const st = await s.rekey.status();
    assert.equal(st.started, true);
    assert.equal(st.progress, 0);
    assert.equal(st.nonce, nonce);
    assert.equal(await reopensWith(s, s.keys.slice(1)), true);
    // A 1-of-1 cluster rejects a foreign key at once.
    const single = await setup(1, 1);
    const foreign = await setup(1, 1);
    const n1 = (await single.rekey.init({ secret_shares: 1, secret_threshold: 1 })).nonce;
    await assert.rejects(single.rekey.update(foreign.keys[0], n1), rejectsWith('ERR_INVALID_REQUEST', /root key verification failed/));
    assert.equal((await single.rekey.status()).progress, 0);
  });

  it('with verification, the new shares take effect only once a threshold of them is entered back', async () => {
    const s = await setup(1, 1);
    const { nonce } = await s.rekey.init({ secret_shares: 3, secret_threshold: 2, require_verification: true });
    const done = (await s.rekey.update(s.keys[0], nonce)) as RekeyResult;
    assert.equal(done.verification_required, true);
    assert.match(done.verification_nonce!, /^[0-9a-f-]{36}$/);
    const vnonce = done.verification_nonce!;
    assert.deepEqual(await s.rekey.verifyStatus(), { nonce: vnonce, started: true, t: 2, n: 3, progress: 0 });
    const st = await s.rekey.status();
    assert.equal(st.verification_nonce, vnonce);
    assert.equal((await s.seal.status()).n, 1, 'not active before verification');
    await assert.rejects(s.rekey.update(s.keys[0], nonce), rejectsWith('ERR_INVALID_REQUEST', /^rekey operation already finished; verification must be performed/));
    await assert.rejects(s.rekey.verify(done.keys[0], 'nope'), rejectsWith('ERR_INVALID_REQUEST', /^incorrect nonce supplied; nonce for this verify operation is/));
    // Restart: progress forgotten, fresh nonce.
    await s.rekey.verify(done.keys[0], vnonce);
    const restarted = await s.rekey.verifyRestart();
    assert.equal(restarted.progress, 0);
    assert.notEqual(restarted.nonce, vnonce);
    // Wrong shares at the threshold: refused, progress gone, nonce rotated.
    const wrong = await setup(3, 2);
    await s.rekey.verify(done.keys[0], restarted.nonce);
    await assert.rejects(s.rekey.verify(wrong.keys[1], restarted.nonce), rejectsWith('ERR_INVALID_REQUEST', /^rekey verification failed; incorrect key shares supplied$/));
    const after = await s.rekey.verifyStatus();
    assert.equal(after.progress, 0);
    assert.notEqual(after.nonce, restarted.nonce);
    assert.equal((await s.seal.status()).n, 1);
    // The right ones.
    assert.equal(((await s.rekey.verify(done.keys[2], after.nonce)) as { progress: number }).progress, 1);
    const ok = await s.rekey.verify(done.keys_base64[1], after.nonce);
    assert.deepEqual(ok, { nonce: after.nonce, complete: true });
    await assert.rejects(s.rekey.verifyStatus(), rejectsWith('ERR_INVALID_REQUEST', /^no rekey configuration found$/));
    assert.equal(await reopensWith(s, [s.keys[0]!]), false);
    assert.equal(await reopensWith(s, [done.keys[0]!, done.keys[2]!]), true);
  });

  it('sealing before verification discards the new shares; the current ones stay valid', async () => {
    const s = await setup(1, 1);
    const { nonce } = await s.rekey.init({ secret_shares: 1, secret_threshold: 1, require_verification: true });
    const done = (await s.rekey.update(s.keys[0], nonce)) as RekeyResult;
    assert.equal(await reopensWith(s, [s.keys[0]!]), true);
    assert.equal((await s.rekey.status()).started, false);
    await assert.rejects(s.rekey.verify(done.keys[0], done.verification_nonce), rejectsWith('ERR_INVALID_REQUEST', /^no rekey in progress$/));
  });

  it('cancel needs the nonce within ten minutes of init, not after', async () => {
    const s = await setup(1, 1);
    const { nonce } = await s.rekey.init({ secret_shares: 1, secret_threshold: 1 });
    await assert.rejects(s.rekey.cancel(undefined), rejectsWith('ERR_INVALID_REQUEST', /^invalid request$/));
    await assert.rejects(s.rekey.cancel('wrong'), rejectsWith('ERR_INVALID_REQUEST', /^invalid request$/));
    await s.rekey.cancel(nonce);
    assert.equal((await s.rekey.status()).started, false);
    await s.rekey.cancel(undefined); // nothing running: a no-op
    await s.rekey.init({ secret_shares: 1, secret_threshold: 1 });
    s.advance(CANCEL_NONCE_WINDOW_MS);
    await s.rekey.cancel(undefined);
    assert.equal((await s.rekey.status()).started, false);
  });

  it('PGP-encrypts the new shares (hex inside, like Vault) and keeps a backup by fingerprint', async () => {
    const s = await setup(1, 1);
    const alice = await openpgp.generateKey({ userIDs: [{ name: 'alice' }], format: 'object' });
    const bob = await openpgp.generateKey({ userIDs: [{ name: 'bob' }], format: 'object' });
    await assert.rejects(s.rekey.retrieveBackup(), rejectsWith('ERR_INVALID_REQUEST', /^no backed-up keys found$/));
    const st = await s.rekey.init({
      secret_shares: 2, secret_threshold: 2, backup: true,
      pgp_keys: [Buffer.from(alice.publicKey.write()).toString('base64'), bob.publicKey.armor()],
    });
    const fps = [alice.publicKey.getFingerprint(), bob.publicKey.getFingerprint()];
    assert.deepEqual(st.pgp_fingerprints, fps);
    assert.equal(st.backup, true);
    const done = (await s.rekey.update(s.keys[0], st.nonce)) as RekeyResult;
    assert.deepEqual(done.pgp_fingerprints, fps);
    assert.equal(done.backup, true);
    const decrypt = async (b64: string, key: openpgp.PrivateKey): Promise<string> => {
      const message = await openpgp.readMessage({ binaryMessage: new Uint8Array(Buffer.from(b64, 'base64')) });
      const { data } = await openpgp.decrypt({ message, decryptionKeys: key, format: 'binary' });
      return new TextDecoder().decode(data as Uint8Array);
    };
    const shares = [await decrypt(done.keys_base64[0]!, alice.privateKey), await decrypt(done.keys_base64[1]!, bob.privateKey)];
    for (const share of shares) assert.match(share, /^[0-9a-f]{66}$/);
    const backup = await s.rekey.retrieveBackup();
    assert.equal(backup.nonce, st.nonce);
    assert.deepEqual(backup.keys, { [fps[0]!]: [done.keys[0]], [fps[1]!]: [done.keys[1]] });
    assert.deepEqual(backup.keys_base64, { [fps[0]!]: [done.keys_base64[0]], [fps[1]!]: [done.keys_base64[1]] });
    assert.ok(await s.physical.get(UNSEAL_KEYS_BACKUP_PATH));
    await s.rekey.deleteBackup();
    await assert.rejects(s.rekey.retrieveBackup(), rejectsWith('ERR_INVALID_REQUEST', /no backed-up keys found/));
    assert.equal(await reopensWith(s, shares), true);
  });
});
