// A per-key async readers/writer lock. Storage calls are async, so a read-check-write sequence
// (a KV v2 CAS check followed by a version increment) can interleave with another request for the
// same key unless it runs under a lock. `run` is exclusive; `runShared` holders run together (many
// children created under one parent token) but never alongside an exclusive holder (revoking that
// parent). Waiters are served in arrival order, so neither kind starves. Within one process only:
// it is not a distributed lock.

export interface KeyedMutex {
  /** Runs `fn` while holding the lock for `key` exclusively and returns its result (or rethrows its error). */
  run<T>(key: string, fn: () => Promise<T> | T): Promise<T>;
  /** Runs `fn` while holding the lock for `key` shared with other `runShared` callers. */
  runShared<T>(key: string, fn: () => Promise<T> | T): Promise<T>;
  /** Keys that currently have a holder or waiters (0 when idle: entries never leak). */
  readonly size: number;
}

interface KeyState {
  readers: number;
  writer: boolean;
  waiting: Array<{ shared: boolean; wake: () => void }>;
}

export function createKeyedMutex(): KeyedMutex {
  const states = new Map<string, KeyState>();

  function acquire(key: string, shared: boolean): Promise<void> | undefined {
    let s = states.get(key);
    if (!s) {
      s = { readers: 0, writer: false, waiting: [] };
      states.set(key, s);
    }
    const free = !s.writer && s.waiting.length === 0 && (shared || s.readers === 0);
    if (free) {
      if (shared) s.readers++;
      else s.writer = true;
      return undefined;
    }
    const state = s;
    return new Promise<void>((resolve) => state.waiting.push({ shared, wake: resolve }));
  }

  function release(key: string, shared: boolean): void {
    const s = states.get(key)!;
    if (shared) s.readers--;
    else s.writer = false;
    while (s.waiting.length > 0) {
      const head = s.waiting[0]!;
      if (head.shared) {
        if (s.writer) break;
        s.waiting.shift();
        s.readers++;
        head.wake();
      } else {
        if (s.writer || s.readers > 0) break;
        s.waiting.shift();
        s.writer = true;
        head.wake();
        break;
      }
    }
    if (!s.writer && s.readers === 0 && s.waiting.length === 0) states.delete(key);
  }

  async function hold<T>(key: string, shared: boolean, fn: () => Promise<T> | T): Promise<T> {
    const wait = acquire(key, shared);
    if (wait) await wait;
    try {
      return await fn();
    } finally {
      release(key, shared);
    }
  }

  return {
    run: (key, fn) => hold(key, false, fn),
    runShared: (key, fn) => hold(key, true, fn),
    get size() {
      return states.size;
    },
  };
}
