import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import type { StorageBackend } from '../../storage/backend.js';
import { createMemoryBackend } from '../../storage/memory.js';
import { createSqliteBackend } from '../../storage/sqlite.js';
import { SealedError } from '../errors.js';
import { Barrier, InvalidRootKeyError, KEYRING_PATH } from './barrier.js';
import { Keyring } from './keyring.js';
import { DecryptionFailedError, ENTRY_OVERHEAD, ENTRY_VERSION, entryTerm } from './entry-cipher.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined): string | undefined =>
  value === undefined ? undefined : new TextDecoder().decode(value);

describe('Barrier', () => {
  let physical: StorageBackend;
  let barrier: Barrier;
  let rootKey: Buffer;

  beforeEach(async () => {
    physical = createMemoryBackend();
    barrier = new Barrier(physical);
    rootKey = randomBytes(32);
    await barrier.initialize(rootKey);
    await barrier.unseal(rootKey);
  });

  it('starts sealed and reports initialisation', async () => {
    const fresh = new Barrier(createMemoryBackend());
    assert.equal(fresh.sealed, true);
    assert.equal(await fresh.initialized(), false);
    await assert.rejects(fresh.unseal(rootKey), (err: Error & { code?: string }) => err.code === 'ERR_NOT_INITIALIZED');
    await fresh.initialize(rootKey);
    assert.equal(await fresh.initialized(), true);
    assert.equal(fresh.sealed, true);
    await assert.rejects(fresh.initialize(rootKey), /already initialized/);
    await assert.rejects(fresh.initialize(new Uint8Array(16)), /32 bytes/);
  });

  it('round trips values and stores only ciphertext in the layout term ‖ version ‖ nonce ‖ ct ‖ tag', async () => {
    await barrier.put('logical/abc/secret', bytes('hello'));
    assert.equal(text(await barrier.get('logical/abc/secret')), 'hello');
    const raw = (await physical.get('logical/abc/secret'))!;
    assert.equal(raw.length, 5 + ENTRY_OVERHEAD);
    assert.equal(entryTerm(raw), 1);
    assert.equal(raw[4], ENTRY_VERSION);
    assert.equal(Buffer.from(raw).includes(Buffer.from('hello')), false);
    await barrier.put('empty', new Uint8Array(0));
    assert.deepEqual(await barrier.get('empty'), new Uint8Array(0));
    assert.equal(await barrier.get('missing'), undefined);
  });

  it('uses a fresh nonce for every write', async () => {
    await barrier.put('a', bytes('same'));
    const first = Buffer.from((await physical.get('a'))!);
    await barrier.put('a', bytes('same'));
    const second = Buffer.from((await physical.get('a'))!);
    assert.notDeepEqual(first, second);
  });

  it('lists, deletes and runs transactions through the barrier', async () => {
    await barrier.transaction([
      { type: 'put', key: 'sys/token/id/a', value: bytes('1') },
      { type: 'put', key: 'sys/token/id/b', value: bytes('2') },
    ]);
    assert.deepEqual(await barrier.list('sys/token/id/'), ['a', 'b']);
    assert.equal(text(await barrier.get('sys/token/id/b')), '2');
    await barrier.delete('sys/token/id/a');
    assert.deepEqual(await barrier.list('sys/token/id/'), ['b']);
  });

  it('an entry moved to another path does not decrypt (path is the AAD)', async () => {
    await barrier.put('logical/one/key', bytes('secret'));
    await physical.put('logical/two/key', (await physical.get('logical/one/key'))!);
    await assert.rejects(barrier.get('logical/two/key'), DecryptionFailedError);
  });

  it('detects tampering with any part of an entry', async () => {
    await barrier.put('t', bytes('tamper me'));
    const raw = (await physical.get('t'))!;
    for (const index of [4, 5, 17, raw.length - 1]) {
      const bad = Uint8Array.from(raw);
      bad[index]! ^= 0x01;
      await physical.put('t', bad);
      await assert.rejects(barrier.get('t'), DecryptionFailedError, `byte ${index}`);
    }
    await physical.put('t', raw.subarray(0, 10));
    await assert.rejects(barrier.get('t'), DecryptionFailedError);
    await physical.put('t', raw);
    assert.equal(text(await barrier.get('t')), 'tamper me');
  });

  it('refuses to write the reserved seal paths', async () => {
    await assert.rejects(barrier.put(KEYRING_PATH, bytes('x')));
    await assert.rejects(barrier.put('core/seal-config', bytes('x')));
    await assert.rejects(barrier.transaction([{ type: 'delete', key: KEYRING_PATH }]));
    await assert.rejects(barrier.get(KEYRING_PATH), DecryptionFailedError);
  });

  it('rotation keeps old entries readable and writes new ones under the new term', async () => {
    await barrier.put('old', bytes('written at term 1'));
    const status1 = barrier.keyStatus();
    assert.equal(status1.term, 1);
    assert.equal(status1.encryptions, 1);
    const rotated = await barrier.rotate();
    assert.equal(rotated.term, 2);
    assert.ok(!Number.isNaN(Date.parse(rotated.installTime)));
    await barrier.put('new', bytes('written at term 2'));
    assert.equal(entryTerm((await physical.get('old'))!), 1);
    assert.equal(entryTerm((await physical.get('new'))!), 2);
    assert.equal(text(await barrier.get('old')), 'written at term 1');
    assert.deepEqual(barrier.keyStatus(), { term: 2, install_time: rotated.installTime, encryptions: 1 });
    const [a, b] = await Promise.all([barrier.rotate(), barrier.rotate()]);
    assert.deepEqual([a.term, b.term], [3, 4]);

    // The rotated keyring persists: a new barrier over the same storage reads both terms.
    const again = new Barrier(physical);
    await again.unseal(rootKey);
    assert.equal(again.keyStatus().term, 4);
    assert.equal(text(await again.get('old')), 'written at term 1');
    assert.equal(text(await again.get('new')), 'written at term 2');
  });

  it('picks up a rotation made by another barrier on the same storage', async () => {
    const other = new Barrier(physical);
    await other.unseal(rootKey);
    await other.rotate();
    await other.put('from-other', bytes('term 2'));
    assert.equal(text(await barrier.get('from-other')), 'term 2');
    assert.equal(barrier.keyStatus().term, 2);
  });

  it('seal blocks every operation and zeroes the keys; unseal restores access', async () => {
    await barrier.put('k', bytes('v'));
    barrier.seal();
    assert.equal(barrier.sealed, true);
    await assert.rejects(barrier.get('k'), SealedError);
    await assert.rejects(barrier.put('k', bytes('v')), SealedError);
    await assert.rejects(barrier.delete('k'), SealedError);
    await assert.rejects(barrier.list(''), SealedError);
    await assert.rejects(barrier.transaction([{ type: 'put', key: 'k', value: bytes('v') }]), SealedError);
    await assert.rejects(barrier.rotate(), SealedError);
    assert.throws(() => barrier.keyStatus(), SealedError);
    await barrier.unseal(rootKey);
    assert.equal(text(await barrier.get('k')), 'v');
  });

  it('seal overwrites the key buffers with zeros', async () => {
    await barrier.rotate();
    // Capture the live key Buffers as the barrier's keyring zeroes them.
    const captured: Buffer[] = [];
    const originalZero = Keyring.prototype.zero;
    Keyring.prototype.zero = function (this: Keyring) {
      for (let term = 1; this.term(term); term++) captured.push(this.term(term)!.key);
      originalZero.call(this);
    };
    try {
      barrier.seal();
    } finally {
      Keyring.prototype.zero = originalZero;
    }
    assert.equal(captured.length, 2);
    for (const key of captured) assert.ok(key.equals(Buffer.alloc(32)), 'key zeroed');
  });

  it('a wrong root key fails with a constant message and stays sealed', async () => {
    barrier.seal();
    await assert.rejects(barrier.unseal(randomBytes(32)), (err: Error) => {
      assert.ok(err instanceof InvalidRootKeyError);
      assert.equal(err.message, 'cipher: message authentication failed');
      return true;
    });
    assert.equal(barrier.sealed, true);
    assert.equal(await barrier.verifyRootKey(randomBytes(32)), false);
    assert.equal(await barrier.verifyRootKey(rootKey), true);
    assert.equal(barrier.sealed, true);
  });

  it('rekeys the root key: the old key stops working, the new one works', async () => {
    await barrier.put('k', bytes('v'));
    const newRoot = randomBytes(32);
    await barrier.rekeyRootKey(newRoot);
    barrier.seal();
    await assert.rejects(barrier.unseal(rootKey), InvalidRootKeyError);
    await barrier.unseal(newRoot);
    assert.equal(text(await barrier.get('k')), 'v');
  });
});

describe('Barrier over sqlite: canary values never reach the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-barrier-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves no plaintext canary in the database or its WAL', async () => {
    const path = join(dir, 'coffer.db');
    const canaries = Array.from({ length: 8 }, (_, i) => `CANARY-${i}-${randomBytes(12).toString('hex')}`);
    const physical = createSqliteBackend({ path });
    const barrier = new Barrier(physical);
    const rootKey = randomBytes(32);
    await barrier.initialize(rootKey);
    await barrier.unseal(rootKey);
    await Promise.all(canaries.map((canary, i) => barrier.put(`logical/kv/secret-${i}`, bytes(JSON.stringify({ password: canary })))));
    await barrier.transaction([{ type: 'put', key: 'logical/kv/tx', value: bytes(canaries.join(',')) }]);
    await barrier.rotate();
    await barrier.put('logical/kv/after-rotate', bytes(canaries[0]!.repeat(100)));
    assert.equal(JSON.parse(text(await barrier.get('logical/kv/secret-3'))!).password, canaries[3]);

    // Read the files while the WAL still holds the pages (before close checkpoints it) and after.
    const files = [path, `${path}-wal`];
    const check = (): number => {
      let scanned = 0;
      for (const file of files) {
        if (!existsSync(file)) continue;
        const raw = readFileSync(file);
        scanned += raw.length;
        for (const canary of canaries) {
          assert.equal(raw.includes(canary), false, `${canary} found in ${file}`);
          assert.equal(raw.includes(Buffer.from(canary, 'utf16le')), false);
        }
        assert.equal(raw.includes(Buffer.from(rootKey)), false, 'root key in storage');
      }
      return scanned;
    };
    assert.ok(check() > 0);
    assert.ok(readFileSync(`${path}-wal`).includes('logical/kv/secret-3'), 'sanity: the WAL holds the entries');
    barrier.seal();
    await physical.close();
    assert.ok(check() > 0);
  });
});
