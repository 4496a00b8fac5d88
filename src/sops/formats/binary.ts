// Binary store (spec §3.3): the whole file is one byte string under the key `data`; encrypted, it
// is a JSON object `{"data": "ENC[…]", "sops": {…}}`. Plaintext is never decoded as UTF-8.

import { ExitCode, SopsError } from '../errors.js';
import { branch, getItem } from '../tree.js';
import { createJsonStore } from './json.js';
import type { Store } from './store.js';

export function createBinaryStore(): Store {
  const json = createJsonStore();
  return {
    format: 'binary',
    parse(bytes) {
      return [branch([{ key: 'data', value: new Uint8Array(bytes) }])];
    },
    parseEncrypted(bytes) {
      return json.parseEncrypted(bytes);
    },
    emit(doc, meta, options) {
      if (meta) return json.emit(doc, meta, options);
      const data = doc[0] ? getItem(doc[0], 'data') : undefined;
      if (!data) throw new SopsError(ExitCode.errorDumpingTree, 'Error dumping file: No binary data found in tree');
      const v = data.value;
      if (v instanceof Uint8Array) return v;
      if (typeof v === 'string') return new TextEncoder().encode(v);
      throw new SopsError(ExitCode.errorDumpingTree, "Error dumping file: the 'data' key does not hold a string");
    },
    emitValue(value, options) {
      if (value instanceof Uint8Array) return value;
      if (typeof value === 'string') return new TextEncoder().encode(value);
      return json.emitValue(value, options);
    },
    hasMetadata(doc) {
      return json.hasMetadata(doc);
    },
  };
}
