// dotenv store (spec §3.3), deliberately as primitive as sops's: lines split on `\n`, `#` lines are
// comments, key = everything before the first `=` (untrimmed), a literal `\n` in a value is a
// newline. Metadata is flattened to `sops_…` keys.

import { ParseError, SopsError, ExitCode } from '../errors.js';
import { type Document, type Item, type TreeValue, branch, comment, formatFloatG, isBranch, isComment } from '../tree.js';
import { type MetaObject, type Store, flattenMeta, unflattenMeta, utf8Decode, utf8Encode } from './store.js';

const META_PREFIX = 'sops_';

function parseLines(text: string): Item[] {
  const items: Item[] = [];
  text.split('\n').forEach((line, i) => {
    if (line === '') return;
    if (line.startsWith('#')) {
      items.push({ key: comment(line.slice(1)), value: null });
      return;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new ParseError(`Error unmarshalling input dotenv: invalid dotenv input line ${i + 1}: no '=' found`);
    items.push({ key: line.slice(0, eq), value: line.slice(eq + 1).replace(/\\n/g, '\n') });
  });
  return items;
}

function scalarText(key: string, v: TreeValue): string {
  if (typeof v === 'string') return v;
  if (v === null) return '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  if (Array.isArray(v) || isBranch(v)) {
    throw new SopsError(ExitCode.errorDumpingTree, `Error dumping file: cannot use complex value in dotenv file; offending key: ${key}`);
  }
  switch (v.kind) {
    case 'int': return v.value.toString();
    case 'float': return formatFloatG(v.value);
    case 'time': return v.value;
    case 'comment': return v.value;
  }
}

export function createDotenvStore(): Store {
  return {
    format: 'dotenv',
    parse(bytes) {
      return [branch(parseLines(utf8Decode(bytes, 'dotenv')))];
    },
    parseEncrypted(bytes) {
      const items = parseLines(utf8Decode(bytes, 'dotenv'));
      const metaEntries: [string, string][] = [];
      const data: Item[] = [];
      for (const it of items) {
        if (typeof it.key === 'string' && it.key.startsWith(META_PREFIX)) metaEntries.push([it.key.slice(META_PREFIX.length), it.value as string]);
        else data.push(it);
      }
      return { doc: [branch(data)], meta: metaEntries.length ? unflattenMeta(metaEntries) : null };
    },
    emit(doc, meta?: MetaObject) {
      let out = '';
      for (const it of doc[0]?.items ?? []) {
        if (isComment(it.key)) out += `#${it.key.value}\n`;
        else out += `${it.key}=${scalarText(it.key, it.value).replace(/\n/g, '\\n')}\n`;
      }
      if (meta) for (const [k, v] of flattenMeta(meta, META_PREFIX)) out += `${k}=${v.replace(/\n/g, '\\n')}\n`;
      return utf8Encode(out);
    },
    emitValue(value) {
      return utf8Encode(`${scalarText('value', value)}\n`);
    },
    hasMetadata(doc) {
      return doc.some((b) => b.items.some((it) => typeof it.key === 'string' && it.key.startsWith(META_PREFIX)));
    },
  };
}
