// The contract every file format implements, plus the helpers they share for the `sops` metadata:
// converting between the plain metadata object and a tree branch (YAML, JSON) or flattened
// `a__list_0__map_b` keys (dotenv, INI).

import { ParseError } from '../errors.js';
import { type Branch, type Document, type TreeValue, branch, isBranch, isComment, sopsInt } from '../tree.js';

export type Format = 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary';

export const FORMATS: readonly Format[] = ['yaml', 'json', 'dotenv', 'ini', 'binary'];

/** The metadata block as plain data: what a YAML/JSON decoder would give for the `sops` key. */
export type MetaValue = string | number | boolean | null | MetaValue[] | MetaObject;
export interface MetaObject {
  [key: string]: MetaValue;
}

export interface EmitOptions {
  /** YAML: spaces (default 4). JSON: -1/undefined = tab, N = N spaces. */
  indent?: number;
}

export interface Store {
  readonly format: Format;
  /** Parses a plaintext file. */
  parse(bytes: Uint8Array): Document;
  /** Parses an encrypted file, separating the `sops` metadata (null when there is none). */
  parseEncrypted(bytes: Uint8Array): { doc: Document; meta: MetaObject | null };
  /** Serialises a document, appending the metadata when given. */
  emit(doc: Document, meta?: MetaObject, options?: EmitOptions): Uint8Array;
  /** Serialises a single value (for `decrypt --extract` of a non-string). */
  emitValue(value: TreeValue, options?: EmitOptions): Uint8Array;
  /** True when the plaintext already carries sops metadata (encrypting it again is refused). */
  hasMetadata(doc: Document): boolean;
}

export const utf8Encode = (s: string): Uint8Array => new TextEncoder().encode(s);

export function utf8Decode(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ParseError(`Error unmarshalling input ${what}: the file is not valid UTF-8`);
  }
}

/** Converts plain metadata to a tree branch (integers become ints, not floats). */
export function metaToTree(obj: MetaObject): Branch {
  const conv = (v: MetaValue): TreeValue => {
    if (Array.isArray(v)) return v.map(conv);
    if (typeof v === 'number') return sopsInt(v);
    if (v !== null && typeof v === 'object') return metaToTree(v);
    return v;
  };
  return branch(Object.entries(obj).map(([key, value]) => ({ key, value: conv(value) })));
}

/** Converts a tree value (the `sops` key of a YAML/JSON file) to plain metadata. */
export function treeToMeta(v: TreeValue): MetaValue {
  if (Array.isArray(v)) return v.filter((x) => !isComment(x)).map(treeToMeta);
  if (isBranch(v)) {
    const out: MetaObject = {};
    for (const it of v.items) if (typeof it.key === 'string') out[it.key] = treeToMeta(it.value);
    return out;
  }
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  switch (v.kind) {
    case 'int': return Number(v.value);
    case 'float': return v.value;
    case 'time': return v.value;
    case 'comment': return null;
  }
}

/** Takes the `sops` key out of every branch; metadata comes from the first document only. */
export function extractTreeMetadata(doc: Document): MetaObject | null {
  let meta: MetaObject | null = null;
  doc.forEach((b, i) => {
    const idx = b.items.findIndex((it) => it.key === 'sops');
    if (idx < 0) return;
    const [item] = b.items.splice(idx, 1);
    if (i !== 0 || !item) return;
    if (!isBranch(item.value)) throw new ParseError('Error unmarshalling input: Found sops entry that is not a mapping');
    meta = treeToMeta(item.value) as MetaObject;
  });
  return meta;
}

/** Flattens metadata to `a__map_b` / `a__list_0__map_b` keys in tree order. */
export function flattenMeta(obj: MetaObject, prefix = ''): [string, string][] {
  const out: [string, string][] = [];
  const walk = (v: MetaValue, key: string) => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${key}__list_${i}`));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${key}__map_${k}`);
    else if (v !== null) out.push([key, String(v)]);
  };
  for (const [k, v] of Object.entries(obj)) walk(v, prefix + k);
  return out;
}

/** Inverse of flattenMeta; every leaf stays a string (readers convert weakly). */
export function unflattenMeta(entries: [string, string][]): MetaObject {
  const root: MetaObject = {};
  for (const [flatKey, value] of entries) {
    const parts = flatKey.split(/(__list_\d+|__map_)/).filter((p) => p !== '');
    // parts: first key, then alternating separators and keys.
    const path: (string | number)[] = [parts[0]!];
    for (let i = 1; i < parts.length; i++) {
      const p = parts[i]!;
      const lm = /^__list_(\d+)$/.exec(p);
      if (lm) path.push(Number(lm[1]));
      else if (p === '__map_') path.push(parts[++i] ?? '');
      else path[path.length - 1] = `${String(path[path.length - 1])}${p}`;
    }
    let cur: MetaObject | MetaValue[] = root;
    for (let i = 0; i < path.length; i++) {
      const k = path[i]!;
      const last = i === path.length - 1;
      const nextIsIndex = !last && typeof path[i + 1] === 'number';
      const container = cur as Record<string | number, MetaValue>;
      if (last) {
        container[k] = value;
      } else {
        if (container[k] === undefined || container[k] === null || typeof container[k] !== 'object') container[k] = nextIsIndex ? [] : {};
        cur = container[k] as MetaObject | MetaValue[];
      }
    }
  }
  return root;
}
