// JSON helpers over any Storage: engines keep structured records, storage keeps bytes.
import type { Storage } from './backend.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function getJSON<T>(storage: Storage, key: string): Promise<T | undefined> {
  const raw = await storage.get(key);
  return raw === undefined ? undefined : (JSON.parse(decoder.decode(raw)) as T);
}

export async function putJSON(storage: Storage, key: string, value: unknown): Promise<void> {
  await storage.put(key, encoder.encode(JSON.stringify(value)));
}

export function encodeJSON(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}
