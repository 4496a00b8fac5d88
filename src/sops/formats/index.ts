// Picks the store for a file: by `--input-type`/`--output-type`, else by extension as sops does
// (.yaml/.yml, .json, .env, .ini, anything else binary), or by sniffing content when there is no
// usable name (git merge driver temp files).

import { extname } from 'node:path';
import { createBinaryStore } from './binary.js';
import { createDotenvStore } from './dotenv.js';
import { createIniStore } from './ini.js';
import { createJsonStore } from './json.js';
import { type Format, FORMATS, type Store } from './store.js';
import { createYamlStore } from './yaml.js';

export type { Format, Store } from './store.js';

export function isFormat(s: string | undefined): s is Format {
  return s !== undefined && (FORMATS as readonly string[]).includes(s);
}

export function formatFromPath(path: string): Format {
  const ext = extname(path).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  if (ext === '.env') return 'dotenv';
  if (ext === '.ini') return 'ini';
  return 'binary';
}

/** Guesses the format of an encrypted file from its bytes. */
export function sniffEncryptedFormat(bytes: Uint8Array): Format {
  const text = new TextDecoder().decode(bytes.subarray(0, Math.min(bytes.length, 1 << 20)));
  const trimmed = text.trimStart();
  if (/^sops_[a-z_]+=/m.test(text)) return 'dotenv';
  if (/^\[sops\]\s*$/m.test(text)) return 'ini';
  if (trimmed.startsWith('{')) {
    // A JSON object with only `data` and `sops` is what the binary store writes.
    return /^\{\s*"data"\s*:\s*"ENC\[[^"]*"\s*,\s*"sops"\s*:/.test(trimmed) ? 'binary' : 'json';
  }
  return 'yaml';
}

export function createStore(format: Format): Store {
  switch (format) {
    case 'yaml': return createYamlStore();
    case 'json': return createJsonStore();
    case 'dotenv': return createDotenvStore();
    case 'ini': return createIniStore();
    case 'binary': return createBinaryStore();
  }
}
