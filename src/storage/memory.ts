// In-memory backend for dev mode and unit tests. Values are copied in and out so a caller can
// never mutate what is stored.
import type { StorageBackend, StorageOp } from './backend.js';
import { assertValidKey, assertValidPrefix, childOf, compareKeys } from './keys.js';

function assertBytes(value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError('storage value must be a Uint8Array');
}

export function createMemoryBackend(): StorageBackend {
  const entries = new Map<string, Uint8Array>();
  let closed = false;
  const open = (): void => {
    if (closed) throw new Error('storage backend is closed');
  };

  const apply = (ops: StorageOp[]): void => {
    for (const op of ops) {
      assertValidKey(op.key);
      if (op.type === 'put') assertBytes(op.value);
      else if (op.type !== 'delete') throw new TypeError('unknown storage op');
    }
    for (const op of ops) {
      if (op.type === 'put') entries.set(op.key, new Uint8Array(op.value));
      else entries.delete(op.key);
    }
  };

  return {
    kind: 'inmem',
    async get(key) {
      open();
      assertValidKey(key);
      const value = entries.get(key);
      return value === undefined ? undefined : new Uint8Array(value);
    },
    async put(key, value) {
      open();
      apply([{ type: 'put', key, value }]);
    },
    async delete(key) {
      open();
      apply([{ type: 'delete', key }]);
    },
    async list(prefix) {
      open();
      assertValidPrefix(prefix);
      const names = new Set<string>();
      for (const key of entries.keys()) if (key.length > prefix.length && key.startsWith(prefix)) names.add(childOf(prefix, key));
      return [...names].sort(compareKeys);
    },
    async transaction(ops) {
      open();
      apply(ops);
    },
    async close() {
      closed = true;
      entries.clear();
    },
  };
}
