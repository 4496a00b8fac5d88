import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as openpgp from 'openpgp';
import { createMemoryBackend } from '../../storage/memory.js';
import type { StorageBackend } from '../../storage/backend.js';
import { Barrier } from '../barrier/barrier.js';
import { isAppError } from '../errors.js';
import { createSealManager, type SealManagerOptions } from './seal-manager.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function setup(extra: Partial<SealManagerOptions> = {}) {
  const physical: StorageBackend = createMemoryBackend();
  const barrier = new Barrier(physical);
  const events: string[] = [];
  const manager = createSealManager({
    physical,
    barrier,
    version: '1.17.0',
    buildDate: '2024-01-01T00:00:00Z',
    onUnseal: [async () => void events.push('unseal')],
    onSeal: [async () => void events.push('seal')],
    ...extra,
  });
  return { physical, barrier, manager, events };
}

const rejectsWith = (code: string, pattern: RegExp) => (err: unknown) => {
  assert.ok(isAppError(err), String(err));
  assert.equal(err.code, code);
  assert.match(err.message, pattern);
  return true;
};

describe('seal manager', () => {
  it('reports an uninitialised, sealed node', async () => {
    const { manager } = setup();
    assert.deepEqual(await manager.status(), {
      type: 'shamir',
      initialized: false,
      sealed: true,
      t: 0,
      n: 0,
      progress: 0,
      nonce: '',
      version: '1.17.0',
      build_date: '2024-01-01T00:00:00Z',
      migration: false,
      recovery_seal: false,
      storage_type: 'inmem',
    });
    await assert.rejects(manager.submitUnsealKey('00'.repeat(33)), rejectsWith('ERR_NOT_INITIALIZED', /not initialized/));
  });

  it('initialises with 5 shares / threshold 3, stores the seal config in plaintext, and stays sealed', async () => {
    const { manager, physical, events, barrier } = setup();
    let sealedDuringMint: boolean | undefined;
    const result = await manager.initialize(
      { secret_shares: 5, secret_threshold: 3, recovery_shares: 5, recovery_threshold: 3 },
      {
        createRootToken: async () => {
          sealedDuringMint = barrier.sealed;
          return 'hvs.root';
        },
      },
    );
    assert.equal(sealedDuringMint, false);
    assert.equal(result.root_token, 'hvs.root');
    assert.equal(result.keys.length, 5);
    assert.equal(result.keys_base64.length, 5);
    for (let i = 0; i < 5; i++) {
      assert.match(result.keys[i]!, /^[0-9a-f]{66}$/);
      assert.equal(Buffer.from(result.keys_base64[i]!, 'base64').toString('hex'), result.keys[i]);
    }
    assert.deepEqual(JSON.parse(new TextDecoder().decode(await physical.get('core/seal-config'))), {
      type: 'shamir',
      secret_shares: 5,
      secret_threshold: 3,
      nonce: '',
    });
    assert.deepEqual(events, ['unseal', 'seal']);
    const status = await manager.status();
    assert.equal(status.initialized, true);
    assert.equal(status.sealed, true);
    assert.equal(status.t, 3);
    assert.equal(status.n, 5);
    assert.equal(status.cluster_name, undefined);
    await assert.rejects(manager.initialize({ secret_shares: 1, secret_threshold: 1 }), rejectsWith('ERR_INVALID_REQUEST', /^Vault is already initialized$/));
  });

  it('validates init parameters with Vault messages and stores nothing on failure', async () => {
    const { manager, physical } = setup();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{}, /shares must be at least one/],
      [{ secret_shares: 3 }, /threshold must be at least one/],
      [{ secret_shares: 3, secret_threshold: 1 }, /threshold must be greater than one for multiple shares/],
      [{ secret_shares: 256, secret_threshold: 3 }, /shares must be less than 256/],
      [{ secret_shares: 3, secret_threshold: 4 }, /threshold cannot be larger than shares/],
      [{ secret_shares: 'x', secret_threshold: 2 }, /secret_shares must be an integer/],
      [{ secret_shares: 3, secret_threshold: 2, stored_shares: 1 }, /stored_shares/],
      [{ secret_shares: 3, secret_threshold: 2, pgp_keys: ['a'] }, /count mismatch/],
      [{ secret_shares: 2, secret_threshold: 2, pgp_keys: ['not a key', 'nope'] }, /error parsing PGP key/],
      [{ secret_shares: 2, secret_threshold: 2, pgp_keys: ['keybase:alice', 'keybase:bob'] }, /keybase/],
    ];
    for (const [request, message] of cases) {
      await assert.rejects(manager.initialize(request), rejectsWith('ERR_INVALID_REQUEST', message), JSON.stringify(request));
    }
    assert.deepEqual(await physical.list(''), []);
  });

  it('unseals with progress, ignores duplicates, keeps progress on an undecodable key', async () => {
    const { manager, barrier, events } = setup();
    const { keys, keys_base64 } = await manager.initialize({ secret_shares: 5, secret_threshold: 3 });
    events.length = 0;

    let status = await manager.submitUnsealKey(keys[4]!);
    assert.equal(status.progress, 1);
    assert.match(status.nonce, /^[0-9a-f-]{36}$/);
    const nonce = status.nonce;

    // The same share again, hex or base64, does not count.
    assert.equal((await manager.submitUnsealKey(keys[4]!)).progress, 1);
    assert.equal((await manager.submitUnsealKey(keys_base64[4]!)).progress, 1);

    await assert.rejects(manager.submitUnsealKey('not-a-key!'), rejectsWith('ERR_INVALID_REQUEST', /'key' must be a valid hex or base64 string/));
    await assert.rejects(manager.submitUnsealKey(''), rejectsWith('ERR_INVALID_REQUEST', /'key' must be specified/));
    await assert.rejects(manager.submitUnsealKey(Buffer.alloc(8).toString('base64')), rejectsWith('ERR_INVALID_REQUEST', /shorter than minimum 16 bytes/));
    await assert.rejects(manager.submitUnsealKey('ab'.repeat(32)), rejectsWith('ERR_INVALID_REQUEST', /expected a 33-byte key/));
    status = await manager.status();
    assert.equal(status.progress, 1);
    assert.equal(status.nonce, nonce);
    assert.equal(status.sealed, true);

    assert.equal((await manager.submitUnsealKey(keys_base64[0]!)).progress, 2);
    status = await manager.submitUnsealKey(keys[2]!.toUpperCase());
    assert.equal(status.sealed, false);
    assert.equal(status.progress, 0);
    assert.equal(status.nonce, '');
    assert.match(status.cluster_name!, /^vault-cluster-[0-9a-f]{8}$/);
    assert.match(status.cluster_id!, /^[0-9a-f-]{36}$/);
    assert.deepEqual(Object.keys(status), [
      'type', 'initialized', 'sealed', 't', 'n', 'progress', 'nonce', 'version', 'build_date', 'migration',
      'cluster_name', 'cluster_id', 'recovery_seal', 'storage_type',
    ]);
    assert.equal(barrier.sealed, false);
    assert.deepEqual(events, ['unseal']);

    // Submitting to an unsealed node just reports status.
    assert.equal((await manager.submitUnsealKey(keys[1]!)).sealed, false);

    // Seal, then any other 3 of the 5 open it again with the same cluster identity.
    await barrier.put('data', bytes('kept'));
    await manager.seal();
    assert.deepEqual(events, ['unseal', 'seal']);
    assert.equal((await manager.status()).sealed, true);
    await assert.rejects(barrier.get('data'));
    for (const key of [keys[1]!, keys[3]!, keys[0]!]) status = await manager.submitUnsealKey(key);
    assert.equal(status.sealed, false);
    assert.equal(new TextDecoder().decode(await barrier.get('data')), 'kept');
    await manager.seal();
    await manager.seal(); // sealing a sealed node is a no-op
  });

  it('a wrong combined key resets progress and says so, without detail', async () => {
    const { manager } = setup();
    await manager.initialize({ secret_shares: 3, secret_threshold: 2 });
    const other = setup();
    const foreign = await other.manager.initialize({ secret_shares: 3, secret_threshold: 2 });
    await manager.submitUnsealKey(foreign.keys[0]!);
    // Two valid shares of another node's root key: they combine, but to the wrong key.
    await assert.rejects(manager.submitUnsealKey(foreign.keys[1]!), rejectsWith('ERR_INVALID_REQUEST', /^Error unsealing: cipher: message authentication failed/));
    const status = await manager.status();
    assert.equal(status.progress, 0);
    assert.equal(status.nonce, '');
    assert.equal(status.sealed, true);
  });

  it('reset discards progress; reset on an unsealed node is refused', async () => {
    const { manager } = setup();
    const { keys } = await manager.initialize({ secret_shares: 3, secret_threshold: 2 });
    await manager.submitUnsealKey(keys[0]!);
    const status = await manager.resetUnseal();
    assert.equal(status.progress, 0);
    assert.equal(status.nonce, '');
    await manager.submitUnsealKey(keys[0]!);
    assert.equal((await manager.submitUnsealKey(keys[1]!)).sealed, false);
    await assert.rejects(manager.resetUnseal(), rejectsWith('ERR_INVALID_REQUEST', /^vault is unsealed$/));
  });

  it('with one share the unseal key is the root key itself', async () => {
    const { manager, barrier } = setup();
    const { keys, keys_base64 } = await manager.initialize({ secret_shares: 1, secret_threshold: 1 });
    assert.match(keys[0]!, /^[0-9a-f]{64}$/);
    assert.equal(await barrier.verifyRootKey(Buffer.from(keys[0]!, 'hex')), true);
    const status = await manager.submitUnsealKey(keys_base64[0]!);
    assert.equal(status.sealed, false);
  });

  it('dev init stays unsealed and mints the requested root token', async () => {
    const { manager } = setup();
    const result = await manager.initializeDev({ rootTokenId: 'root', createRootToken: async (id) => id ?? 'hvs.generated' });
    assert.equal(result.root_token, 'root');
    assert.equal(result.keys.length, 1);
    const status = await manager.status();
    assert.equal(status.sealed, false);
    assert.equal(status.t, 1);
    assert.equal(status.n, 1);
  });

  it('a failing post-unseal listener leaves the node sealed', async () => {
    const { manager } = setup();
    const { keys } = await manager.initialize({ secret_shares: 1, secret_threshold: 1 });
    manager.onUnseal.push(async () => {
      throw new Error('mount table broken');
    });
    await assert.rejects(manager.submitUnsealKey(keys[0]!), rejectsWith('ERR_INTERNAL', /post-unseal setup failed/));
    assert.equal((await manager.status()).sealed, true);
  });

  it('encrypts shares and the root token to PGP keys (hex share as the plaintext, like Vault)', async () => {
    const { manager } = setup();
    const alice = await openpgp.generateKey({ userIDs: [{ name: 'alice' }], format: 'object' });
    const bob = await openpgp.generateKey({ userIDs: [{ name: 'bob' }], format: 'object' });
    const result = await manager.initialize(
      {
        secret_shares: 2,
        secret_threshold: 2,
        pgp_keys: [Buffer.from(alice.publicKey.write()).toString('base64'), bob.publicKey.armor()],
        root_token_pgp_key: Buffer.from(alice.publicKey.write()).toString('base64'),
      },
      { createRootToken: async () => 'hvs.pgp-root' },
    );
    const decrypt = async (b64: string, key: openpgp.PrivateKey): Promise<string> => {
      const message = await openpgp.readMessage({ binaryMessage: new Uint8Array(Buffer.from(b64, 'base64')) });
      const { data } = await openpgp.decrypt({ message, decryptionKeys: key, format: 'binary' });
      return new TextDecoder().decode(data as Uint8Array);
    };
    assert.equal(Buffer.from(result.keys[0]!, 'hex').toString('base64'), result.keys_base64[0]);
    assert.equal(await decrypt(result.root_token!, alice.privateKey), 'hvs.pgp-root');
    const share0 = await decrypt(result.keys_base64[0]!, alice.privateKey);
    const share1 = await decrypt(result.keys_base64[1]!, bob.privateKey);
    assert.match(share0, /^[0-9a-f]{66}$/);
    await manager.submitUnsealKey(share0);
    assert.equal((await manager.submitUnsealKey(share1)).sealed, false);
  });
});
