// The storage contract. Physical backends (sqlite, memory, later postgresql) implement
// StorageBackend; the barrier implements the same Storage shape on top of one, so every
// secrets engine sees plain bytes while the backend only ever sees ciphertext.

export type StorageOp =
  | { type: 'put'; key: string; value: Uint8Array }
  | { type: 'delete'; key: string };

export interface Storage {
  /** The stored bytes, or undefined when the key does not exist. */
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, value: Uint8Array): Promise<void>;
  /** Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * One level below `prefix` (which is '' or ends with '/'): the names of entries directly under it,
   * and the names of deeper "folders" once each with a trailing '/'. Sorted, without the prefix.
   */
  list(prefix: string): Promise<string[]>;
  /** Applies every op or none. */
  transaction(ops: StorageOp[]): Promise<void>;
}

export interface StorageBackend extends Storage {
  readonly kind: string;
  close(): Promise<void>;
}
