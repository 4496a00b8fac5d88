// A per-key async mutex. Storage calls are async, so a read-check-write sequence (a KV v2 CAS check
// followed by a version increment) can interleave with another request for the same key unless
// it runs under a lock. Callers for one key run one at a time, in arrival order; different keys
// never wait for each other. Only within one process: it is not a distributed lock.

export interface KeyedMutex {
  /** Runs `fn` while holding the lock for `key` and returns its result (or rethrows its error). */
  run<T>(key: string, fn: () => Promise<T> | T): Promise<T>;
  /** Keys that currently have a holder or waiters (0 when idle: entries never leak). */
  readonly size: number;
}

export function createKeyedMutex(): KeyedMutex {
  // For each busy key, the promise that settles when the last queued holder releases.
  const tails = new Map<string, Promise<void>>();

  return {
    async run<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
      const previous = tails.get(key);
      let release!: () => void;
      const mine = new Promise<void>((resolve) => { release = resolve; });
      const tail = previous ? previous.then(() => mine) : mine;
      tails.set(key, tail);
      try {
        if (previous) await previous;
        return await fn();
      } finally {
        release();
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
    get size() {
      return tails.size;
    },
  };
}
