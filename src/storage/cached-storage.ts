// A write-through cache of a Storage's plaintext, for small hot records whose only writer is the
// one component holding this wrapper (the token store's entries). Reads that raced a write never
// populate the cache, so it cannot serve a value older than the last acknowledged write.
import type { Storage, StorageOp } from './backend.js';

export function createCachedStorage(inner: Storage, opts: { maxEntries: number; cacheable: (key: string) => boolean }): Storage {
  const cache = new Map<string, Uint8Array | null>();
  let generation = 0;

  function remember(key: string, value: Uint8Array | undefined): void {
    cache.delete(key);
    cache.set(key, value === undefined ? null : value);
    if (cache.size > opts.maxEntries) cache.delete(cache.keys().next().value as string);
  }

  function applied(ops: StorageOp[]): void {
    for (const op of ops) if (opts.cacheable(op.key)) remember(op.key, op.type === 'put' ? new Uint8Array(op.value) : undefined);
  }

  async function write(ops: StorageOp[], run: () => Promise<void>): Promise<void> {
    generation++;
    for (const op of ops) cache.delete(op.key);
    await run();
    generation++;
    applied(ops);
  }

  return {
    async get(key) {
      if (!opts.cacheable(key)) return inner.get(key);
      const hit = cache.get(key);
      if (hit !== undefined) return hit === null ? undefined : new Uint8Array(hit);
      const seen = generation;
      const value = await inner.get(key);
      if (generation === seen) remember(key, value === undefined ? undefined : new Uint8Array(value));
      return value;
    },
    put: (key, value) => write([{ type: 'put', key, value }], () => inner.put(key, value)),
    delete: (key) => write([{ type: 'delete', key }], () => inner.delete(key)),
    transaction: (ops) => write(ops, () => inner.transaction(ops)),
    list: (prefix) => inner.list(prefix),
  };
}
