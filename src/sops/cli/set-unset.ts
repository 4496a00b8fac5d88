// `set` and `unset`: change one value of an encrypted file in place, keeping the data key so every
// other value keeps its exact ciphertext.

import { readFileSync } from 'node:fs';
import { ExitCode, ParseError, SopsError } from '../errors.js';
import { parseJsonValue } from '../formats/json.js';
import { type DecryptedFile, decryptFile, loadEncrypted, sealDocument } from '../sops-file.js';
import { type Branch, type TreeValue, branch, cloneValue, isBranch, isComment, sopsFloat, valuesEqual } from '../tree.js';
import {
  type CommonOptions,
  type SopsIo,
  type TreePath,
  decryptionOrder,
  emitOptions,
  inputFormat,
  loadSopsConfig,
  parseTreePath,
  readInput,
  resolvePath,
  servicesOf,
  writeFileAtomic,
} from './common.js';

export async function openForUpdate(io: SopsIo, file: string, opts: CommonOptions & { ignoreMac?: boolean }): Promise<DecryptedFile> {
  const bytes = await readInput(io, file);
  const loaded = loadEncrypted(bytes, inputFormat(opts, file), file);
  return decryptFile(loaded, { services: servicesOf(io), fileLabel: file, ignoreMac: opts.ignoreMac, decryptionOrder: decryptionOrder(opts, io) });
}

/** Re-encrypts a changed plaintext with the file's data key and writes it back in place. */
export function saveInPlace(io: SopsIo, file: string, dec: DecryptedFile, plain: Branch[], opts: CommonOptions): void {
  const config = loadSopsConfig(io, opts);
  const { keyGroups, shamirThreshold, cryptRule, macOnlyEncrypted } = dec.metadata;
  const out = sealDocument(plain, dec.store, dec.cipher, { keyGroups, shamirThreshold, cryptRule, macOnlyEncrypted }, emitOptions(dec.format, opts, config));
  writeFileAtomic(resolvePath(io, file), out);
}

/** sops decodes `set` values without UseNumber, so every number becomes a float. */
function numbersToFloats(v: TreeValue): TreeValue {
  if (Array.isArray(v)) return v.map(numbersToFloats);
  if (isBranch(v)) return branch(v.items.map((it) => ({ key: it.key, value: numbersToFloats(it.value) })));
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && v.kind === 'int') return sopsFloat(Number(v.value));
  return v;
}

function setAtPath(root: Branch, path: TreePath, value: TreeValue): void {
  let cur: TreeValue = root;
  path.forEach((c, i) => {
    const last = i === path.length - 1;
    const next = path[i + 1];
    const fresh = (): TreeValue => (typeof next === 'number' ? [] : branch());
    if (typeof c === 'string') {
      if (!isBranch(cur)) throw new SopsError(ExitCode.invalidSetFormat, `cannot set ${JSON.stringify(c)}: the parent is not a mapping`);
      let it = cur.items.find((x) => x.key === c);
      if (!it) {
        it = { key: c, value: last ? value : fresh() };
        cur.items.push(it);
      } else if (last) it.value = value;
      else if (typeof next === 'number' ? !Array.isArray(it.value) : !isBranch(it.value)) it.value = fresh();
      cur = it.value;
    } else {
      if (!Array.isArray(cur)) throw new SopsError(ExitCode.invalidSetFormat, `cannot set index ${c}: the parent is not a list`);
      const arr: TreeValue[] = cur;
      const positions = arr.map((x, idx) => (isComment(x) ? -1 : idx)).filter((x) => x >= 0);
      if (c < 0) throw new SopsError(ExitCode.invalidSetFormat, `invalid list index ${c}`);
      while (positions.length <= c) {
        arr.push(null);
        positions.push(arr.length - 1);
      }
      const pos = positions[c]!;
      if (last) arr[pos] = value;
      else if (typeof next === 'number' ? !Array.isArray(arr[pos]) : !isBranch(arr[pos])) arr[pos] = fresh();
      cur = arr[pos]!;
    }
  });
}

function unsetAtPath(root: Branch, path: TreePath): boolean {
  let cur: TreeValue = root;
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    const last = i === path.length - 1;
    if (typeof c === 'string') {
      if (!isBranch(cur)) return false;
      const idx = cur.items.findIndex((x) => x.key === c);
      if (idx < 0) return false;
      if (last) {
        cur.items.splice(idx, 1);
        return true;
      }
      cur = cur.items[idx]!.value;
    } else {
      if (!Array.isArray(cur)) return false;
      const arr: TreeValue[] = cur;
      const positions = arr.map((x, idx) => (isComment(x) ? -1 : idx)).filter((x) => x >= 0);
      const pos = positions[c];
      if (pos === undefined) return false;
      if (last) {
        arr.splice(pos, 1);
        return true;
      }
      cur = arr[pos]!;
    }
  }
  return false;
}

export interface SetOptions extends CommonOptions {
  valueFile?: boolean;
  valueStdin?: boolean;
  idempotent?: boolean;
  ignoreMac?: boolean;
}

export async function runSet(io: SopsIo, file: string, pathText: string, valueArg: string | undefined, opts: SetOptions): Promise<number> {
  const path = parseTreePath(pathText);
  let text: string;
  if (opts.valueStdin) text = new TextDecoder().decode(await io.readStdin());
  else if (opts.valueFile) {
    if (valueArg === undefined) throw new SopsError(ExitCode.invalidSetFormat, '--value-file needs the value file as the last argument');
    text = readFileSync(resolvePath(io, valueArg), 'utf8');
  } else if (valueArg === undefined) throw new SopsError(ExitCode.invalidSetFormat, 'missing value', { hints: ['pass the JSON value as the last argument, or use --value-stdin / --value-file'] });
  else text = valueArg;
  let value: TreeValue;
  try {
    value = numbersToFloats(parseJsonValue(text));
  } catch (err) {
    if (err instanceof ParseError) throw new SopsError(ExitCode.invalidSetFormat, 'Value for set is not valid JSON', { hints: ['strings need JSON quotes, e.g. \'"secret"\''] });
    throw err;
  }
  const dec = await openForUpdate(io, file, opts);
  const plain = dec.plain.map((b) => cloneValue(b));
  if (!plain[0]) plain.push(branch());
  setAtPath(plain[0]!, path, value);
  if (opts.idempotent && valuesEqual(plain[0]!, dec.plain[0] ?? branch())) return 0;
  saveInPlace(io, file, dec, plain, opts);
  return 0;
}

export async function runUnset(io: SopsIo, file: string, pathText: string, opts: SetOptions): Promise<number> {
  const path = parseTreePath(pathText);
  const dec = await openForUpdate(io, file, opts);
  const plain = dec.plain.map((b) => cloneValue(b));
  if (!plain[0] || !unsetAtPath(plain[0], path)) {
    if (opts.idempotent) return 0;
    const last = path[path.length - 1]!;
    throw new SopsError(ExitCode.generic, typeof last === 'number' ? `Index ${last} out of bounds` : `Key not found: ${last}`);
  }
  saveInPlace(io, file, dec, plain, opts);
  return 0;
}
