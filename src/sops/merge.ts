// Three-way merge of decrypted trees, for the git merge driver. Mappings merge key by key; lists
// and scalars are atomic (a change on one side wins, different changes on both sides conflict).
// Comments and key order follow "ours"; keys added only by "theirs" are appended.

import { displayPath } from './crypt.js';
import { type Branch, type Document, type Item, type TreeValue, branch, isBranch, valuesEqual } from './tree.js';

export interface MergeResult {
  doc: Document;
  /** Locations (in --extract syntax) that changed differently on both sides. No values. */
  conflicts: string[];
}

type Loc = (string | number)[];

function lookup(b: Branch | undefined, key: string): TreeValue | undefined {
  if (!b) return undefined;
  const it = b.items.find((i) => i.key === key);
  return it ? it.value : undefined;
}

function same(x: TreeValue | undefined, y: TreeValue | undefined): boolean {
  if (x === undefined || y === undefined) return x === y;
  return valuesEqual(x, y);
}

function merge3(o: TreeValue | undefined, a: TreeValue, b: TreeValue, loc: Loc, conflicts: string[]): TreeValue {
  if (same(a, b)) return a;
  if (same(o, a)) return b;
  if (same(o, b)) return a;
  if (isBranch(a) && isBranch(b) && (o === undefined || isBranch(o))) return mergeBranch(o as Branch | undefined, a, b, loc, conflicts);
  conflicts.push(displayPath(loc));
  return a;
}

function mergeBranch(o: Branch | undefined, a: Branch, b: Branch, loc: Loc, conflicts: string[]): Branch {
  const items: Item[] = [];
  for (const it of a.items) {
    if (typeof it.key !== 'string') {
      items.push(it);
      continue;
    }
    const key = it.key;
    const ov = lookup(o, key);
    const bv = lookup(b, key);
    if (bv === undefined) {
      if (ov === undefined) items.push(it); // added by ours
      else if (!same(ov, it.value)) conflicts.push(displayPath([...loc, key])); // changed by ours, deleted by theirs
      // else: deleted by theirs
      continue;
    }
    items.push({ key, value: merge3(ov, it.value, bv, [...loc, key], conflicts) });
  }
  for (const it of b.items) {
    if (typeof it.key !== 'string' || lookup(a, it.key) !== undefined) continue;
    const ov = lookup(o, it.key);
    if (ov === undefined) items.push(it); // added by theirs
    else if (!same(ov, it.value)) conflicts.push(displayPath([...loc, it.key])); // deleted by ours, changed by theirs
  }
  return branch(items);
}

export function mergeDocuments(base: Document, ours: Document, theirs: Document): MergeResult {
  const conflicts: string[] = [];
  if (ours.length !== theirs.length) {
    return { doc: ours, conflicts: ['(the number of YAML documents differs)'] };
  }
  const doc = ours.map((a, i) => mergeBranch(base[i], a, theirs[i]!, ours.length > 1 ? [`document ${i}`] : [], conflicts));
  return { doc, conflicts };
}
