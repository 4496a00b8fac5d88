// Worker thread that owns SQLite's write connection. A commit with synchronous=FULL waits for an
// fsync; doing it here keeps the server's event loop free while the disk works, and the batch
// that gathers meanwhile goes out in the next commit (pipelined group commit).
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { StorageOp } from './backend.js';

export interface WriterBatchMessage {
  type: 'batch';
  id: number;
  /** One entry per caller; each caller's ops are applied atomically in its own savepoint. */
  writes: StorageOp[][];
}

export interface WriterResultMessage {
  type: 'result';
  id: number;
  /** Index of a failed caller → its error message; a whole-batch failure sets `error`. */
  failures: Array<[number, string]>;
  error?: string;
}

const { path, busyTimeoutMs } = workerData as { path: string; busyTimeoutMs: number };
const db = new Database(path);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma(`busy_timeout = ${busyTimeoutMs}`);
const upsert = db.prepare<[string, Buffer]>('INSERT INTO entries (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
const remove = db.prepare<[string]>('DELETE FROM entries WHERE key = ?');

const applyOps = db.transaction((ops: StorageOp[]) => {
  for (const op of ops) {
    if (op.type === 'put') upsert.run(op.key, Buffer.from(op.value.buffer, op.value.byteOffset, op.value.byteLength));
    else if (op.type === 'delete') remove.run(op.key);
    else throw new TypeError('unknown storage op');
  }
});
const applyBatch = db.transaction((writes: StorageOp[][], failures: Array<[number, string]>) => {
  writes.forEach((ops, i) => {
    try {
      applyOps(ops);
    } catch (err) {
      failures.push([i, err instanceof Error ? err.message : String(err)]);
    }
  });
});

parentPort!.on('message', (msg: WriterBatchMessage | { type: 'close' }) => {
  if (msg.type === 'close') {
    db.close();
    parentPort!.close();
    return;
  }
  const failures: Array<[number, string]> = [];
  let error: string | undefined;
  try {
    applyBatch.immediate(msg.writes, failures);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const reply: WriterResultMessage = { type: 'result', id: msg.id, failures, error };
  parentPort!.postMessage(reply);
});
