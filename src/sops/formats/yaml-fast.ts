// A fast parser for the block-style YAML subset that sops files (and most hand-written config)
// use: block mappings and sequences, one-line plain and quoted scalars, literal blocks, comments,
// `[]`/`{}`. Anything else — flow collections, anchors, aliases, tags, folded or multi-line
// scalars, complex keys, directives, odd indentation — returns undefined and the caller falls back
// to the full `yaml` package parser. The result must equal what the full parser path gives; a
// differential test checks that.

import { type Branch, type Comment, type Document, type TreeValue, branch, comment } from '../tree.js';

type Frame =
  | { kind: 'map'; indent: number; b: Branch; keys: Set<string> }
  | { kind: 'seq'; indent: number; arr: TreeValue[] };

/** Thrown internally to abandon the fast path. */
class Fallback extends Error {}
const bail = (): never => {
  throw new Fallback();
};

const JSON_ESCAPES = /\\(?!["\\/bfnrt]|u[0-9a-fA-F]{4})/;

/** Parses a quoted scalar at the start of `s`; returns the value and the rest of the line. */
function quoted(s: string): { value: string; rest: string } {
  if (s[0] === '"') {
    let i = 1;
    for (; i < s.length; i++) {
      if (s[i] === '\\') i++;
      else if (s[i] === '"') break;
    }
    if (i >= s.length) bail(); // continues on the next line
    const body = s.slice(0, i + 1);
    if (JSON_ESCAPES.test(body) || /[\x00-\x1f]/.test(body)) bail();
    return { value: JSON.parse(body) as string, rest: s.slice(i + 1) };
  }
  let out = '';
  let i = 1;
  for (;;) {
    const j = s.indexOf("'", i);
    if (j < 0) bail();
    out += s.slice(i, j);
    if (s[j + 1] === "'") {
      out += "'";
      i = j + 2;
    } else return { value: out, rest: s.slice(j + 1) };
  }
}

/** After a quoted scalar or `[]`: only spaces and an optional ` #comment` may follow. */
function trailingComment(rest: string): Comment | undefined {
  if (rest === '') return undefined;
  const m = /^ +#(.*)$/.exec(rest);
  if (!m) bail();
  return comment(m![1]!, true);
}

export interface FastParseDeps {
  resolvePlain: (s: string) => TreeValue;
}

export function fastParseYaml(text: string, deps: FastParseDeps): Document | undefined {
  if (text.includes('\r') || text.includes('\t') || text.startsWith('\ufeff')) return undefined;
  try {
    return parse(text, deps);
  } catch (err) {
    if (err instanceof Fallback) return undefined;
    throw err;
  }
}

function parse(text: string, deps: FastParseDeps): Document {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const docs: Document = [];
  // A stream without content (blank or comment lines only) has no document, as the full parser says.
  if (lines.every((l) => l.trim() === '' || l.trimStart().startsWith('#'))) return docs;
  let start = 0;
  if (lines[0] === '---') start = 1;
  let segStart = start;
  for (let i = start; i <= lines.length; i++) {
    if (i === lines.length || lines[i] === '---') {
      docs.push(parseDoc(lines, segStart, i, deps));
      segStart = i + 1;
    } else if (/^(---|\.\.\.|%)/.test(lines[i]!)) bail();
  }
  // A trailing `---` or an empty segment between markers: leave those layouts to the full parser.
  if (docs.length > 1 && docs.some((d) => !d.items.some((it) => typeof it.key === 'string'))) bail();
  return docs;
}

function parseDoc(lines: string[], from: number, to: number, deps: FastParseDeps): Branch {
  const root: Branch = branch();
  const stack: Frame[] = [{ kind: 'map', indent: 0, b: root, keys: new Set() }];
  // A key or dash whose value is on the following lines.
  let pending: { indent: number; set: (v: TreeValue) => void; head: Comment[]; inMap: boolean } | undefined;
  const top = () => stack[stack.length - 1]!;

  const pushComment = (c: Comment) => {
    const f = top();
    if (f.kind === 'map') f.b.items.push({ key: c, value: null });
    else f.arr.push(c);
  };

  // Parses a scalar value text (after `key: ` or `- `); may consume block-scalar lines.
  const scalar = (rest: string, parentIndent: number, at: { i: number }): { value: TreeValue; inline?: Comment } => {
    const c0 = rest[0]!;
    if (c0 === '"' || c0 === "'") {
      const q = quoted(rest);
      return { value: q.value, inline: trailingComment(q.rest) };
    }
    if (rest === '[]' || rest === '{}') return { value: rest[0] === '[' ? [] : branch() };
    if (c0 === '|') {
      const m = /^\|([-+]?)( +#.*)?$/.exec(rest);
      if (!m) bail();
      return { value: block(m![1]!, parentIndent, at) };
    }
    if ('[{>&*!%@`'.includes(c0) || ((c0 === '?' || c0 === '-' || c0 === ':') && (rest.length === 1 || rest[1] === ' '))) bail();
    const hash = rest.indexOf(' #');
    const plain = (hash >= 0 ? rest.slice(0, hash) : rest).trimEnd();
    if (plain.includes(': ') || plain.endsWith(':') || plain.includes(' #')) bail();
    return { value: deps.resolvePlain(plain), inline: hash >= 0 ? comment(rest.slice(hash + 2), true) : undefined };
  };

  const block = (chomp: string, parentIndent: number, at: { i: number }): string => {
    const body: string[] = [];
    let indent = -1;
    let j = at.i + 1;
    for (; j < to; j++) {
      const l = lines[j]!;
      const sp = l.length - l.trimStart().length;
      if (l.trim() === '') {
        if (indent < 0 && l.length > 0) bail(); // leading space-only lines: let the full parser judge
        body.push(l.length > indent && indent >= 0 ? l.slice(indent) : '');
        continue;
      }
      if (indent < 0) {
        if (sp <= parentIndent) break;
        indent = sp;
      }
      if (sp < indent) break;
      body.push(l.slice(indent));
    }
    if (indent < 0) bail(); // empty block scalar
    at.i = j - 1;
    let trailing = 0;
    while (body.length && body[body.length - 1] === '') {
      body.pop();
      trailing++;
    }
    const content = body.join('\n');
    if (chomp === '-') return content;
    if (chomp === '+') return `${content}\n${'\n'.repeat(trailing)}`;
    return `${content}\n`;
  };

  // Handles `key: value` text at column `col` inside the map frame on top of the stack.
  const keyLine = (content: string, col: number, at: { i: number }) => {
    const f = top();
    if (f.kind !== 'map' || f.indent !== col) bail();
    const map = f as Extract<Frame, { kind: 'map' }>;
    let key: string;
    let after: string;
    if (content[0] === '"' || content[0] === "'") {
      const q = quoted(content);
      if (!q.rest.startsWith(':') || (q.rest.length > 1 && q.rest[1] !== ' ')) bail();
      key = q.value;
      after = q.rest.slice(1);
    } else {
      if ('[{>|&*!%@`#,'.includes(content[0]!) || ((content[0] === '?' || content[0] === '-' || content[0] === ':') && (content.length === 1 || content[1] === ' '))) bail();
      const m = /^(.*?):(?: |$)/.exec(content);
      if (!m) bail();
      key = m![1]!.trimEnd();
      if (key.includes(' #') || key === '') bail();
      if (typeof deps.resolvePlain(key) !== 'string') bail(); // non-string key: the full parser reports it
      after = content.slice(m![0].length);
    }
    if (map.keys.has(key)) bail(); // duplicate: the full parser reports it
    map.keys.add(key);
    const rest = after.trimStart();
    const item = { key, value: null as TreeValue };
    map.b.items.push(item);
    if (rest === '' || rest.startsWith('#')) {
      pending = { indent: col, set: (v) => (item.value = v), head: rest.startsWith('#') ? [comment(rest.slice(1))] : [], inMap: true };
      return;
    }
    const s = scalar(rest, col, at);
    item.value = s.value;
    if (s.inline) map.b.items.push({ key: s.inline, value: null });
  };

  const at = { i: from };
  for (; at.i < to; at.i++) {
    const line = lines[at.i]!;
    const content = line.trimStart();
    if (content === '') continue;
    const col = line.length - content.length;

    if (content[0] === '#') {
      // Foot comments (followed by a dedent or the end of the document) are placed by subtle rules
      // in the full parser: leave them to it.
      let next = at.i + 1;
      while (next < to && (lines[next]!.trim() === '' || lines[next]!.trimStart().startsWith('#'))) next++;
      const nextCol = next < to ? lines[next]!.length - lines[next]!.trimStart().length : 0;
      if ((next >= to && col > 0) || nextCol < col) bail();
      if (pending && col > pending.indent) {
        pending.head.push(comment(content === '# ' ? '' : content.slice(1)));
        continue;
      }
      if (pending) {
        if (pending.head.length) bail();
        pending = undefined; // value stays null
      }
      while (stack.length > 1 && top().indent > col) stack.pop();
      pushComment(comment(content === '# ' ? '' : content.slice(1)));
      continue;
    }

    const isDash = content === '-' || content.startsWith('- ');
    if (pending) {
      const p = pending;
      pending = undefined;
      if (col > p.indent || (p.inMap && col === p.indent && isDash)) {
        let frame: Frame;
        if (isDash) {
          const arr: TreeValue[] = [...p.head];
          frame = { kind: 'seq', indent: col, arr };
          p.set(arr);
        } else {
          const b = branch(p.head.map((c) => ({ key: c, value: null })));
          frame = { kind: 'map', indent: col, b, keys: new Set() };
          p.set(b);
        }
        stack.push(frame);
      } else if (p.head.length) bail();
    }
    while (stack.length > 1 && top().indent > col) stack.pop();
    let f = top();
    if (f.kind === 'seq' && f.indent === col && !isDash) {
      stack.pop(); // a key after a compact (unindented) sequence ends it
      f = top();
    }
    if (f.indent !== col) bail(); // deeper than expected: a multi-line scalar or odd indentation

    if (isDash) {
      if (f.kind !== 'seq') bail();
      const seq = f as Extract<Frame, { kind: 'seq' }>;
      const rest = content.slice(1).replace(/^ /, '');
      if (rest.startsWith(' ') || rest.startsWith('- ') || rest === '-') bail();
      if (rest.startsWith('#')) bail(); // `- # comment`: the full parser places it
      if (rest === '') {
        const idx = seq.arr.length;
        seq.arr.push(null);
        pending = { indent: col, set: (v) => (seq.arr[idx] = v), head: [], inMap: false };
        continue;
      }
      if (/^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^"'#\s][^#]*?):( |$)/.test(rest) && !rest.startsWith('[') && !rest.startsWith('{')) {
        const b = branch();
        seq.arr.push(b);
        stack.push({ kind: 'map', indent: col + 2, b, keys: new Set() });
        keyLine(rest, col + 2, at);
        continue;
      }
      const s = scalar(rest, col, at);
      seq.arr.push(s.value);
      if (s.inline) seq.arr.push(s.inline);
      continue;
    }
    keyLine(content, col, at);
  }
  if (pending?.head.length) bail();
  return root;
}
