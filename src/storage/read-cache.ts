// A bounded LRU of stored bytes (what the physical backend holds: barrier ciphertext, never
// plaintext) in front of SQLite reads. Coherent because every write to the database goes through
// the same backend instance, which updates the cache when a commit is acknowledged. Absence is
// cached too, so repeated misses cost no query.

const ABSENT = Symbol('absent');
type Cached = Uint8Array | typeof ABSENT;

export interface ReadCache {
  /** The cached bytes, `null` for a key known to be absent, `undefined` when not cached. */
  get(key: string): Uint8Array | null | undefined;
  set(key: string, value: Uint8Array | undefined): void;
  delete(key: string): void;
  clear(): void;
  readonly size: number;
}

export function createReadCache(limits: { maxEntries: number; maxBytes: number }): ReadCache {
  const map = new Map<string, Cached>();
  let bytes = 0;
  const sizeOf = (v: Cached | undefined): number => (v === undefined || v === ABSENT ? 0 : v.byteLength) ;

  function remove(key: string): void {
    const old = map.get(key);
    if (old === undefined) return;
    bytes -= sizeOf(old) + key.length;
    map.delete(key);
  }

  return {
    get(key) {
      const v = map.get(key);
      if (v === undefined) return undefined;
      // Refresh recency: Map iteration order is insertion order, oldest first.
      map.delete(key);
      map.set(key, v);
      return v === ABSENT ? null : v;
    },
    set(key, value) {
      remove(key);
      const v: Cached = value === undefined ? ABSENT : value;
      const size = sizeOf(v) + key.length;
      if (size > limits.maxBytes / 16) return; // very large values are not worth evicting others for
      map.set(key, v);
      bytes += size;
      while (map.size > limits.maxEntries || bytes > limits.maxBytes) {
        const oldest = map.keys().next().value as string;
        remove(oldest);
      }
    },
    delete: remove,
    clear() {
      map.clear();
      bytes = 0;
    },
    get size() {
      return map.size;
    },
  };
}
