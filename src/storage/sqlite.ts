// SQLite backend (better-sqlite3): WAL, synchronous=FULL, one table. Writes use group commit:
// the writes queued while no commit is running go out together in one SQLite transaction (one
// fsync), each caller's ops inside its own savepoint so one failing caller cannot fail or undo the
// others. For a database file the commit runs in a worker thread (sqlite-writer.ts) so the fsync
// never blocks the event loop; reads use this thread's own connection. Promises resolve only after
// the commit, so a read issued after a write's promise resolved always sees it.
// Files: the database is created 0600 before SQLite opens it (SQLite's own default is 0644), and
// SQLite gives its -wal and -shm files the database file's mode; a directory created for it is
// 0700. Existing files are never chmod-ed (as Vault leaves its storage alone): storageFileWarnings
// reports the ones other users can read, and the server logs them at start.
import { closeSync, lstatSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { StorageBackend, StorageOp } from './backend.js';
import { assertValidKey, assertValidPrefix, childOf } from './keys.js';
import type { WriterBatchMessage, WriterResultMessage } from './sqlite-writer.js';
import { createReadCache } from './read-cache.js';

export interface SqliteBackendOptions {
  /** Database file; its directory is created if missing. */
  path: string;
  /** How long to wait for a lock held by another connection (ms). */
  busyTimeoutMs?: number;
  /** Read cache bounds (stored bytes are ciphertext); defaults 50,000 entries / 64 MiB. */
  cacheEntries?: number;
  cacheBytes?: number;
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

/** Mode of the database file (and so of its -wal/-shm files) when Coffer creates it. */
export const STORAGE_FILE_MODE = 0o600;
/** Mode of directories Coffer creates for the database. */
export const STORAGE_DIR_MODE = 0o700;

/** Creates the database's directory (0700) and an empty database file (0600) unless they exist. */
function createPrivateFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: STORAGE_DIR_MODE });
  let fd: number;
  try {
    // O_EXCL: an existing file (or a symlink planted in its place) is never opened or changed here.
    fd = openSync(path, 'wx', STORAGE_FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw err;
  }
  closeSync(fd);
}

export interface StorageFileWarning {
  path: string;
  /** Octal permission bits, e.g. "0644". */
  mode: string;
  message: string;
}

/**
 * Files of the SQLite database at `path` that other users can read or write (mode wider than
 * 0600), and a directory they can write into (where they could plant a -wal file). The database
 * holds only ciphertext values, but its keys name mounts, policies and the token index.
 */
export function storageFileWarnings(path: string): StorageFileWarning[] {
  if (path === ':memory:') return [];
  const out: StorageFileWarning[] = [];
  const octal = (m: number): string => `0${(m & 0o7777).toString(8).padStart(3, '0')}`;
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) {
    let st;
    try {
      st = lstatSync(file);
    } catch {
      continue; // not there (yet)
    }
    if (st.isFile() && (st.mode & 0o077) !== 0) {
      out.push({
        path: file, mode: octal(st.mode),
        message: 'storage file is accessible to other users (mode wider than 0600): they can read key names, policy names and the token index; chmod 600 it',
      });
    }
  }
  const dir = dirname(resolve(path));
  try {
    const st = lstatSync(dir);
    // Writable by others without the sticky bit: another user could replace or plant the -wal/-shm files.
    if (st.isDirectory() && (st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) {
      out.push({
        path: dir, mode: octal(st.mode),
        message: 'storage directory is writable by other users: they could replace the database or plant its -wal/-shm files; chmod 700 it',
      });
    }
  } catch {
    // the directory is checked when the database opens
  }
  return out;
}

export function createSqliteBackend(options: SqliteBackendOptions): SqliteBackend {
  if (options.path !== ':memory:') createPrivateFile(options.path);
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
  const applyBatch = db.transaction((batch: PendingWrite[], failures: Map<number, unknown>) => {
    batch.forEach((write, i) => {
      try {
        applyOps(write.ops);
      } catch (err) {
        failures.set(i, err);
      }
    });
  });
  const cache = createReadCache({ maxEntries: options.cacheEntries ?? 50_000, maxBytes: options.cacheBytes ?? 64 * 1024 * 1024 });

  let queue: PendingWrite[] = [];
  let flushScheduled = false;
  let closed = false;
  let commits = 0;
  let writes = 0;

  // A file database commits in a worker; ':memory:' cannot be shared with one and commits inline.
  const writer = options.path === ':memory:' ? undefined : new Worker(new URL('./sqlite-writer.js', import.meta.url), {
    workerData: { path: options.path, busyTimeoutMs: Math.trunc(options.busyTimeoutMs ?? 5000) },
  });
  writer?.unref();
  // Batches sent to the writer and not yet acknowledged. Two at most: one committing and one waiting
  // behind it, so the next batch is ready the moment an fsync ends, while later writes keep
  // gathering here into larger batches.
  const inFlight = new Map<number, PendingWrite[]>();
  const MAX_IN_FLIGHT = 2;
  let nextId = 1;
  let writerFailure: Error | undefined;
  let drained: Array<() => void> = [];

  /** A commit was acknowledged: the cache takes the new values, then the callers are told. */
  function settle(batch: PendingWrite[], failures: Map<number, unknown>): void {
    commits++;
    writes += batch.length;
    batch.forEach((write, i) => {
      if (failures.has(i)) {
        for (const op of write.ops) cache.delete(op.key);
        write.reject(failures.get(i));
        return;
      }
      for (const op of write.ops) cache.set(op.key, op.type === 'put' ? op.value : undefined);
      write.resolve();
    });
  }

  function failBatch(batch: PendingWrite[], err: unknown): void {
    for (const w of batch) {
      for (const op of w.ops) cache.delete(op.key);
      w.reject(err);
    }
  }

  function onWriterMessage(msg: WriterResultMessage): void {
    const batch = inFlight.get(msg.id);
    if (!batch) return;
    inFlight.delete(msg.id);
    if (msg.error !== undefined) {
      failBatch(batch, new Error(msg.error));
    } else {
      settle(batch, new Map(msg.failures.map(([i, m]) => [i, new Error(m)])));
    }
    if (queue.length > 0) sendToWriter();
    else if (inFlight.size === 0) {
      writer?.unref(); // idle: the writer alone must not keep the process alive
      for (const done of drained.splice(0)) done();
    }
  }

  function failWriter(err: Error): void {
    writerFailure = err;
    const pending = [...[...inFlight.values()].flat(), ...queue];
    inFlight.clear();
    queue = [];
    failBatch(pending, err);
    for (const done of drained.splice(0)) done();
  }

  writer?.on('message', onWriterMessage);
  writer?.on('error', (err) => failWriter(err));
  writer?.on('exit', (code) => { if (!closed) failWriter(new Error(`storage writer stopped (exit ${code})`)); });

  function sendToWriter(): void {
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    const id = nextId++;
    inFlight.set(id, batch);
    writer!.ref();
    const msg: WriterBatchMessage = { type: 'batch', id, writes: batch.map((w) => w.ops) };
    writer!.postMessage(msg);
  }

  function flush(): void {
    flushScheduled = false;
    if (writer) {
      if (inFlight.size < MAX_IN_FLIGHT) sendToWriter();
      return;
    }
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    const failures = new Map<number, unknown>();
    try {
      applyBatch.immediate(batch, failures);
    } catch (err) {
      failBatch(batch, err);
      return;
    }
    settle(batch, failures);
  }

  function enqueue(ops: StorageOp[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (closed) throw new Error('storage backend is closed');
      if (writerFailure) throw writerFailure;
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
      const cached = cache.get(key);
      if (cached !== undefined) return cached === null ? undefined : new Uint8Array(cached);
      const value = selectValue.get(key);
      const bytes = value === undefined ? undefined : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      cache.set(key, bytes);
      return bytes === undefined ? undefined : new Uint8Array(bytes);
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
      if (writer) {
        if (inFlight.size > 0 || queue.length > 0) await new Promise<void>((resolve) => drained.push(resolve));
        closed = true;
        const exited = new Promise<void>((resolve) => writer.once('exit', () => resolve()));
        writer.ref();
        writer.postMessage({ type: 'close' });
        await exited;
      }
      closed = true;
      db.close();
    },
  };
}
