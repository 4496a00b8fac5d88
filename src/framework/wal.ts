// A write-ahead log for multi-step work that touches the outside world: record the intent before
// the first step (e.g. "a database user named X is being created"), delete the entry once the work
// is durable (the lease stored). Entries left behind by a crash or a failed step are handed to the
// backend's `walRollback` by the core once they are older than `walRollbackMinAge`.
// Entries live in the backend's own storage view under `wal/`, through the barrier.
import { randomUUID } from 'node:crypto';
import type { Storage } from '../storage/backend.js';
import { getJSON, putJSON } from '../storage/json.js';

export const WAL_PREFIX = 'wal/';

export interface WALEntry {
  kind: string;
  data: unknown;
  /** Unix ms the entry was written. */
  createdAt: number;
}

/** Records an intent; returns the id to pass to deleteWAL once the work is complete. */
export async function putWAL(storage: Storage, kind: string, data: unknown, now = Date.now()): Promise<string> {
  const id = randomUUID();
  await putJSON(storage, `${WAL_PREFIX}${id}`, { kind, data, createdAt: now } satisfies WALEntry);
  return id;
}

export async function deleteWAL(storage: Storage, id: string): Promise<void> {
  await storage.delete(`${WAL_PREFIX}${id}`);
}

export async function getWAL(storage: Storage, id: string): Promise<WALEntry | undefined> {
  return getJSON<WALEntry>(storage, `${WAL_PREFIX}${id}`);
}

export async function listWAL(storage: Storage): Promise<string[]> {
  return (await storage.list(WAL_PREFIX)).filter((k) => !k.endsWith('/'));
}
