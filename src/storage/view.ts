// A Storage confined to one key prefix: each mount gets its own view, so an engine can never
// read or write another engine's entries.
import type { Storage, StorageOp } from './backend.js';

export function createStorageView(inner: Storage, prefix: string): Storage {
  if (prefix !== '' && !prefix.endsWith('/')) throw new Error('storage view prefix must end with /');
  const full = (key: string): string => prefix + key;
  return {
    get: (key) => inner.get(full(key)),
    put: (key, value) => inner.put(full(key), value),
    delete: (key) => inner.delete(full(key)),
    list: (p) => inner.list(full(p)),
    transaction: (ops: StorageOp[]) => inner.transaction(ops.map((op) => ({ ...op, key: full(op.key) }))),
  };
}

/** Deletes every entry under `prefix` (depth-first). Used when a mount or a token's cubbyhole goes away. */
export async function clearPrefix(storage: Storage, prefix: string): Promise<void> {
  const names = await storage.list(prefix);
  for (const name of names) {
    if (name.endsWith('/')) await clearPrefix(storage, prefix + name);
    else await storage.delete(prefix + name);
  }
}
