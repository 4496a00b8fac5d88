// SQLite backend (better-sqlite3): WAL, synchronous=FULL, one table. Writes use group commit:
// every put/delete/transaction issued in the same event-loop turn is applied in one SQLite
// transaction (one fsync), each caller's ops inside its own savepoint so one failing caller
// cannot fail or undo the others. Promises resolve only after the commit, so a read issued after
// a write's promise resolved always sees it.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { StorageBackend, StorageOp } from './backend.js';
import { assertValidKey, assertValidPrefix, childOf } from './keys.js';

export interface SqliteBackendOptions {
  /** Database file; its directory is created if missing. */
  path: string;
  /** How long to wait for a lock held by another connection (ms). */
  busyTimeoutMs?: number;
}

export interface SqliteBackend extends StorageBackend {
  /** Group-commit counters: SQLite transactions committed and write calls they carried. */
  stats(): { commits: number; writes: number };
}

interface PendingWrite {
  ops: StorageOp[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

function toBuffer(value: unknown): Buffer {
  if (!(value instanceof Uint8Array)) throw new TypeError('storage value must be a Uint8Array');
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

export function createSqliteBackend(options: SqliteBackendOptions): SqliteBackend {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  const db = new Database(options.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
  db.exec('CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL)');

  const selectValue = db.prepare<[string], Buffer>('SELECT value FROM entries WHERE key = ?').pluck();
  const keysFrom = db.prepare<[string], string>('SELECT key FROM entries WHERE key >= ? ORDER BY key').pluck();
  const upsert = db.prepare<[string, Buffer]>(
    'INSERT INTO entries (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  const remove = db.prepare<[string]>('DELETE FROM entries WHERE key = ?');

  // Called inside the batch transaction, better-sqlite3 runs this in a SAVEPOINT and rolls back
  // only to it when an op throws.
  const applyOps = db.transaction((ops: StorageOp[]) => {
    for (const op of ops) {
      if (op.type === 'put') upsert.run(op.key, toBuffer(op.value));
      else if (op.type === 'delete') remove.run(op.key);
      else throw new TypeError('unknown storage op');
    }
  });
  const applyBatch = db.transaction((batch: PendingWrite[], failures: Map<PendingWrite, unknown>) => {
    for (const write of batch) {
      try {
        applyOps(write.ops);
      } catch (err) {
        failures.set(write, err);
      }
    }
  });

  let queue: PendingWrite[] = [];
  let flushScheduled = false;
  let closed = false;
  let commits = 0;
  let writes = 0;

  function flush(): void {
    flushScheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    const failures = new Map<PendingWrite, unknown>();
    try {
      applyBatch.immediate(batch, failures);
    } catch (err) {
      for (const write of batch) write.reject(err);
      return;
    }
    commits++;
    writes += batch.length;
    for (const write of batch) {
      if (failures.has(write)) write.reject(failures.get(write));
      else write.resolve();
    }
  }

  function enqueue(ops: StorageOp[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (closed) throw new Error('storage backend is closed');
      for (const op of ops) assertValidKey(op.key);
      // Copy values: the caller may reuse its buffer before the batch is written.
      const copied = ops.map((op): StorageOp =>
        op.type === 'put' && op.value instanceof Uint8Array ? { type: 'put', key: op.key, value: new Uint8Array(op.value) } : op,
      );
      queue.push({ ops: copied, resolve, reject });
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    });
  }

  const ensureOpen = (): void => {
    if (closed) throw new Error('storage backend is closed');
  };

  return {
    kind: 'sqlite',
    async get(key) {
      ensureOpen();
      assertValidKey(key);
      const value = selectValue.get(key);
      return value === undefined ? undefined : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    },
    put: (key, value) => enqueue([{ type: 'put', key, value }]),
    delete: (key) => enqueue([{ type: 'delete', key }]),
    transaction: (ops) => enqueue([...ops]),
    async list(prefix) {
      ensureOpen();
      assertValidPrefix(prefix);
      // Skip scan over the primary-key index: walk leaves in order, and on reaching a folder
      // jump past everything under it ('0' is the character after '/'), so a folder holding a
      // million entries costs one seek, not a million rows.
      const names: string[] = [];
      let from = prefix;
      for (;;) {
        let jumped = false;
        for (const key of keysFrom.iterate(from)) {
          if (!key.startsWith(prefix)) break;
          if (key.length === prefix.length) continue;
          const child = childOf(prefix, key);
          names.push(child);
          if (child.endsWith('/')) {
            from = prefix + child.slice(0, -1) + '0';
            jumped = true;
            break;
          }
        }
        if (!jumped) return names;
      }
    },
    stats: () => ({ commits, writes }),
    async close() {
      if (closed) return;
      flush();
      closed = true;
      db.close();
    },
  };
}
