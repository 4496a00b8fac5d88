import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCachedStorage } from './cached-storage.js';
import { createMemoryBackend } from './memory.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b));

describe('cached storage', () => {
  it('serves cached reads, sees every write through it, and leaves other keys alone', async () => {
    const inner = createMemoryBackend();
    let reads = 0;
    const counting = { ...inner, get: async (k: string) => { reads++; return inner.get(k); } };
    const s = createCachedStorage(counting, { maxEntries: 10, cacheable: (k) => k.startsWith('id/') });
    await s.put('id/a', enc('1'));
    assert.equal(dec(await s.get('id/a')), '1');
    assert.equal(dec(await s.get('id/a')), '1');
    assert.equal(reads, 0, 'a write fills the cache');
    await s.transaction([{ type: 'put', key: 'id/a', value: enc('2') }, { type: 'delete', key: 'id/b' }]);
    assert.equal(dec(await s.get('id/a')), '2');
    await s.delete('id/a');
    assert.equal(await s.get('id/a'), undefined);
    await s.get('other');
    await s.get('other');
    assert.equal(reads, 2, 'keys outside the filter always go to storage');
  });

  it('never caches a read that raced a write', async () => {
    const inner = createMemoryBackend();
    await inner.put('id/x', enc('old'));
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let slow = true;
    const delayed = { ...inner, get: async (k: string) => { const v = await inner.get(k); if (slow) { slow = false; await gate; } return v; } };
    const s = createCachedStorage(delayed, { maxEntries: 10, cacheable: () => true });
    const staleRead = s.get('id/x');
    await s.put('id/x', enc('new'));
    release();
    assert.equal(dec(await staleRead), 'old');
    assert.equal(dec(await s.get('id/x')), 'new', 'the racing read did not overwrite the cache');
  });

  it('a failed write leaves nothing cached for its keys', async () => {
    const inner = createMemoryBackend();
    const failing = { ...inner, transaction: async () => { throw new Error('disk full'); } };
    const s = createCachedStorage(failing, { maxEntries: 10, cacheable: () => true });
    await assert.rejects(s.transaction([{ type: 'put', key: 'id/y', value: enc('v') }]), /disk full/);
    assert.equal(await s.get('id/y'), undefined);
  });

  it('stays within maxEntries', async () => {
    const inner = createMemoryBackend();
    let reads = 0;
    const counting = { ...inner, get: async (k: string) => { reads++; return inner.get(k); } };
    const s = createCachedStorage(counting, { maxEntries: 2, cacheable: () => true });
    for (const k of ['id/1', 'id/2', 'id/3']) await s.put(k, enc(k));
    await s.get('id/1');
    assert.equal(reads, 1, 'the oldest entry was evicted');
  });
});
