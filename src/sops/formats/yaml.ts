// YAML store (spec §3.3): every document a mapping, key order and comments kept (head, foot and
// inline comments become Comment items), anchors expanded, plain scalars typed the way go-yaml v3
// types them, output in sops's layout (4-space indent, sequences indented under their key, double
// quotes when a plain scalar would change type, literal blocks for multi-line strings, no folding).

import YAML, { type Node as YamlNode, isAlias, isMap, isPair, isScalar, isSeq, type Scalar as YamlScalar, type YAMLMap, type YAMLSeq } from 'yaml';
import { ParseError } from '../errors.js';
import {
  type Branch,
  type Comment,
  type Document,
  type Item,
  type TreeValue,
  branch,
  comment,
  formatFloatG,
  isBranch,
  isComment,
  normalizeTimestamp,
  sopsFloat,
  sopsInt,
  sopsTime,
} from '../tree.js';
import { fastParseYaml } from './yaml-fast.js';
import { type EmitOptions, type MetaObject, type Store, extractTreeMetadata, metaToTree, utf8Decode, utf8Encode } from './store.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const YAML_FLOAT_RE = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const TIMESTAMP_RE =
  /^\d{4}-\d{1,2}-\d{1,2}(?:[Tt]\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})| \d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?)?$/;

/** Go `strconv.ParseInt(s, 0, 64)`-style parse of an underscore-free literal; undefined if not an integer. */
function parseBase0(s: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const body = m[2]!;
  let v: bigint;
  if (/^0[0-7]+$/.test(body)) v = BigInt(`0o${body.slice(1)}`);
  else v = BigInt(body.toLowerCase());
  return m[1] === '-' ? -v : v;
}

/** How go-yaml v3 types an untagged plain scalar. */
export function resolvePlainScalar(s: string): TreeValue {
  if (s.length > 4 && s.startsWith('ENC[')) return s; // fast path: encrypted values are strings
  switch (s) {
    case '': case '~': case 'null': case 'Null': case 'NULL':
      return null;
    case 'true': case 'True': case 'TRUE':
      return true;
    case 'false': case 'False': case 'FALSE':
      return false;
    case '.inf': case '.Inf': case '.INF': case '+.inf': case '+.Inf': case '+.INF':
      return sopsFloat(Infinity);
    case '-.inf': case '-.Inf': case '-.INF':
      return sopsFloat(-Infinity);
    case '.nan': case '.NaN': case '.NAN':
      return sopsFloat(NaN);
  }
  const c = s[0]!;
  if (!((c >= '0' && c <= '9') || c === '+' || c === '-' || c === '.')) return s;
  if (TIMESTAMP_RE.test(s)) {
    const t = normalizeTimestamp(s);
    if (t !== undefined) return sopsTime(t);
  }
  const plain = s.replace(/_/g, '');
  const n = parseBase0(plain);
  if (n !== undefined) {
    if (n >= INT64_MIN && n <= INT64_MAX) return sopsInt(n);
    if (n >= 0n && n <= UINT64_MAX) throw new ParseError('Error unmarshalling input yaml: Cannot walk value, unknown type: uint64');
  }
  if (YAML_FLOAT_RE.test(plain)) return sopsFloat(Number(plain));
  return s;
}

const STR_TAGS = new Set(['tag:yaml.org,2002:str', '!!str']);

function convertScalar(node: YamlScalar): TreeValue {
  const value = String(node.value ?? '');
  if (node.tag && STR_TAGS.has(node.tag)) return value;
  if (node.type === 'PLAIN' || (node.tag && node.tag.startsWith('tag:yaml.org,2002:'))) return resolvePlainScalar(value);
  return value;
}

function commentLines(text: string | null | undefined, inline = false): Comment[] {
  if (text === null || text === undefined) return [];
  // A blank line between comment lines shows up as an empty line: it is layout, not a comment.
  // The yaml package reports a bare `#` line as " "; sops keeps it as an empty comment.
  return text.split('\n').filter((l) => l !== '').map((l) => comment(l === ' ' ? '' : l, inline));
}

function keyString(node: unknown, doc: YAML.Document): string {
  let n = node as YamlNode | null;
  if (isAlias(n)) n = n.resolve(doc) ?? null;
  if (!isScalar(n)) throw new ParseError('Error unmarshalling input yaml: Tree contains a non-string key (complex key). Only string keys are supported');
  const v = convertScalar(n);
  if (typeof v !== 'string') {
    const type = v === null ? 'nil' : typeof v === 'boolean' ? 'bool' : (v as { kind: string }).kind === 'time' ? 'time.Time' : (v as { kind: string }).kind === 'float' ? 'float64' : 'int';
    throw new ParseError(`Error unmarshalling input yaml: Tree contains a non-string key (type ${type}). Only string keys are supported`);
  }
  return v;
}

function convertNode(node: unknown, doc: YAML.Document, depth: number): TreeValue {
  if (depth > 1000) throw new ParseError('Error unmarshalling input yaml: document nested too deeply (or a recursive alias)');
  let n = node as YamlNode | null | undefined;
  if (isAlias(n)) n = n.resolve(doc);
  if (n === null || n === undefined) return null;
  if (isMap(n)) return convertMap(n, doc, depth);
  if (isSeq(n)) return convertSeq(n, doc, depth);
  if (isScalar(n)) return convertScalar(n);
  throw new ParseError('Error unmarshalling input yaml: unsupported node');
}

function convertMap(map: YAMLMap, doc: YAML.Document, depth: number): Branch {
  // The map's own commentBefore is placed by whoever holds the map (pair, sequence or document).
  const items: Item[] = [];
  // Duplicate keys are checked here with a Set: the yaml package's own check is quadratic.
  const seen = new Set<string>();
  for (const pair of map.items) {
    if (!isPair(pair)) continue;
    const keyNode = pair.key as YamlNode | null;
    for (const c of commentLines(keyNode?.commentBefore)) items.push({ key: c, value: null });
    const key = keyString(keyNode, doc);
    if (seen.has(key)) throw new ParseError(`Error unmarshalling input yaml: mapping key ${JSON.stringify(key)} already defined`);
    seen.add(key);
    const valueNode = pair.value as YamlNode | null;
    let value = convertNode(valueNode, doc, depth + 1);
    // Comments between `key:` and a nested collection belong at the top of that collection.
    if (valueNode && !isScalar(valueNode) && !isAlias(valueNode)) {
      const head = commentLines(valueNode.commentBefore);
      if (head.length && isBranch(value)) value.items.unshift(...head.map((c) => ({ key: c, value: null })));
      else if (head.length && Array.isArray(value)) value.unshift(...head);
    }
    items.push({ key, value });
    for (const c of commentLines(keyNode?.comment, true)) items.push({ key: c, value: null });
    if (valueNode && isScalar(valueNode)) {
      for (const c of commentLines(valueNode.commentBefore)) items.splice(items.length - 1, 0, { key: c, value: null });
      for (const c of commentLines(valueNode.comment, true)) items.push({ key: c, value: null });
    } else if (valueNode && !isAlias(valueNode) && valueNode.comment) {
      const trail = commentLines(valueNode.comment);
      if (isBranch(value)) value.items.push(...trail.map((c) => ({ key: c, value: null })));
      else if (Array.isArray(value)) value.push(...trail);
    }
  }
  return branch(items);
}

function convertSeq(seq: YAMLSeq, doc: YAML.Document, depth: number): TreeValue[] {
  const out: TreeValue[] = [];
  for (const itemNode of seq.items) {
    const n = itemNode as YamlNode | null;
    for (const c of commentLines(n?.commentBefore)) out.push(c);
    out.push(convertNode(n, doc, depth + 1));
    if (n && !isAlias(n)) for (const c of commentLines(n.comment, isScalar(n))) out.push(c);
  }
  return out;
}

/** Parses YAML: the fast block-style parser when it applies, else the full `yaml` package. */
export function parseYamlDocuments(text: string): Document {
  return fastParseYaml(text, { resolvePlain: resolvePlainScalar }) ?? parseYamlDocumentsFull(text);
}

/** The full parser path (every YAML feature), through the `yaml` package. */
export function parseYamlDocumentsFull(text: string): Document {
  const docs = YAML.parseAllDocuments(text, { schema: 'failsafe', uniqueKeys: false, merge: false, prettyErrors: true, maxAliasCount: -1 } as YAML.ParseOptions & YAML.DocumentOptions & YAML.SchemaOptions);
  if (!Array.isArray(docs)) {
    // An empty stream gives an EmptyStream object.
    return [];
  }
  const out: Document = [];
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) throw new ParseError(`Error unmarshalling input yaml: ${err.message.split('\n')[0]}`);
    const contents = doc.contents as YamlNode | null;
    let root: Branch;
    if (contents === null || (isScalar(contents) && (contents.value === null || contents.value === '') && contents.type === 'PLAIN')) {
      root = branch();
    } else if (isMap(contents) || (isAlias(contents) && isMap(contents.resolve(doc)))) {
      root = convertNode(contents, doc, 0) as Branch;
    } else if (isSeq(contents)) {
      throw new ParseError('Error unmarshalling input yaml: YAML documents that are sequences are not supported');
    } else {
      throw new ParseError('Error unmarshalling input yaml: YAML documents that are scalars are not supported; the top level must be a mapping');
    }
    const head = [...commentLines(doc.commentBefore), ...commentLines(contents?.commentBefore)];
    root.items.unshift(...head.map((c) => ({ key: c, value: null })));
    if (isMap(contents)) root.items.push(...commentLines(contents.comment).map((c) => ({ key: c, value: null })));
    root.items.push(...commentLines(doc.comment).map((c) => ({ key: c, value: null })));
    out.push(root);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Emitting: written directly (building a yaml Document for a large file costs seconds and hundreds
// of megabytes). Layout as sops writes it: block style, sequences indented under their key, a
// mapping inside a sequence item starting on the dash line, no line folding.

const INDICATOR_START = /^[,[\]{}#&*!|>'"%@`]|^[-?:](\s|$)|^(---|\.\.\.)/;
const NEEDS_QUOTES = /: |:$| #|^\s|\s$|[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff]/;

function isPlainSafe(s: string): boolean {
  if (s === '' || INDICATOR_START.test(s) || NEEDS_QUOTES.test(s)) return false;
  try {
    return typeof resolvePlainScalar(s) === 'string';
  } catch {
    return false;
  }
}

/** A YAML double-quoted scalar (JSON's escapes are valid YAML; a few more code points escaped). */
function doubleQuoted(s: string): string {
  return JSON.stringify(s).replace(/[\x7f-\x9f\u2028\u2029\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A literal block (`|`, `|-`, `|+`) when the text allows one, as go-yaml chooses. */
function literalBlock(s: string): { header: string; lines: string[] } | undefined {
  if (!s.includes('\n') || /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\r]/.test(s)) return undefined;
  let body = s;
  let header = '|-';
  if (body.endsWith('\n')) {
    const stripped = body.replace(/\n+$/, '');
    header = body.length - stripped.length === 1 ? '|' : '|+';
    body = header === '|' ? stripped : body.slice(0, -1);
  }
  const lines = body.split('\n');
  if (lines.some((l) => / $|\t$/.test(l)) || /^[ \t]/.test(lines[0] ?? '') || body === '') return undefined;
  return { header, lines };
}

function scalarText(v: TreeValue): string | { header: string; lines: string[] } {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string' || v instanceof Uint8Array) {
    const s = typeof v === 'string' ? v : new TextDecoder().decode(v);
    if (isPlainSafe(s)) return s;
    return literalBlock(s) ?? doubleQuoted(s);
  }
  if (Array.isArray(v) || isBranch(v) || isComment(v)) throw new TypeError('not a scalar');
  switch (v.kind) {
    case 'int': return v.value.toString();
    case 'float': {
      const x = v.value;
      return Number.isNaN(x) ? '.nan' : x === Infinity ? '.inf' : x === -Infinity ? '-.inf' : formatFloatG(x);
    }
    case 'time': return v.value;
  }
}

const keyText = (k: string) => (isPlainSafe(k) ? k : doubleQuoted(k));

class YamlWriter {
  readonly out: string[] = [];
  private readonly indent: number;
  /** True when the last line ends with a scalar, so an inline comment may follow it. */
  private lastScalarLine = false;
  constructor(indent: number) {
    this.indent = Math.max(2, indent);
  }

  private line(text: string, scalar = false): void {
    this.out.push(text);
    this.lastScalarLine = scalar;
  }

  private comment(c: Comment, pad: string, lead: string | undefined): string | undefined {
    if (c.inline && this.lastScalarLine && lead === undefined) {
      this.out[this.out.length - 1] += ` #${c.value}`;
      this.lastScalarLine = false;
      return lead;
    }
    for (const l of c.value.split('\n')) {
      if (lead !== undefined) {
        this.line(`${lead}#${l}`);
        lead = undefined;
      } else this.line(`${pad}#${l}`);
    }
    return lead;
  }

  /** Writes `prefix` + a scalar (which may be a literal block whose lines are indented to `col`). */
  private scalar(prefix: string, v: TreeValue, col: number): void {
    const t = scalarText(v);
    if (typeof t === 'string') return this.line(prefix + t, true);
    this.line(prefix + t.header, true);
    const pad = ' '.repeat(col);
    for (const l of t.lines) this.out.push(l === '' ? '' : pad + l);
    this.lastScalarLine = false;
  }

  /** `lead`, if given, replaces the indentation of the first line (a `- ` of a sequence item). */
  map(b: Branch, col: number, lead?: string): void {
    const pad = ' '.repeat(col);
    for (const it of b.items) {
      if (typeof it.key !== 'string') {
        lead = this.comment(it.key, pad, lead);
        continue;
      }
      const head = `${lead ?? pad}${keyText(it.key)}:`;
      lead = undefined;
      this.value(head, it.value, col);
    }
    if (lead !== undefined) this.line(`${lead}{}`);
  }

  private value(head: string, v: TreeValue, col: number): void {
    if (isBranch(v)) {
      if (!v.items.length) return this.line(`${head} {}`);
      this.line(head);
      return this.map(v, col + this.indent);
    }
    if (Array.isArray(v)) {
      if (!v.length) return this.line(`${head} []`);
      this.line(head);
      return this.seq(v, col + this.indent);
    }
    this.scalar(`${head} `, v, col + this.indent);
  }

  seq(xs: TreeValue[], col: number, lead?: string): void {
    const pad = ' '.repeat(col);
    for (const x of xs) {
      if (isComment(x)) {
        lead = this.comment(x, pad, lead);
        continue;
      }
      const dash = `${lead ?? pad}- `;
      lead = undefined;
      if (isBranch(x)) {
        if (x.items.length) this.map(x, col + 2, dash);
        else this.line(`${dash}{}`);
      } else if (Array.isArray(x)) {
        if (x.length) this.seq(x, col + 2, dash);
        else this.line(`${dash}[]`);
      } else this.scalar(dash, x, col + this.indent);
    }
    if (lead !== undefined) this.line(`${lead}[]`);
  }
}

function emitBranch(b: Branch, indent: number): string {
  if (b.items.length === 0) return '{}\n';
  const w = new YamlWriter(indent);
  w.map(b, 0);
  return `${w.out.join('\n')}\n`;
}

export function emitYamlDocuments(docs: Document, indent = 4): string {
  return docs.map((b) => emitBranch(b, indent)).join('---\n');
}

export function emitYamlValue(v: TreeValue, indent = 4): string {
  if (isBranch(v)) return emitBranch(v, indent);
  const w = new YamlWriter(indent);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]\n';
    w.seq(v, 0);
  } else {
    const t = scalarText(v);
    return typeof t === 'string' ? `${t}\n` : `${t.header}\n${t.lines.map((l) => (l ? `    ${l}` : l)).join('\n')}\n`;
  }
  return `${w.out.join('\n')}\n`;
}

export function createYamlStore(): Store {
  return {
    format: 'yaml',
    parse(bytes) {
      return parseYamlDocuments(utf8Decode(bytes, 'yaml'));
    },
    parseEncrypted(bytes) {
      const doc = parseYamlDocuments(utf8Decode(bytes, 'yaml'));
      return { doc, meta: extractTreeMetadata(doc) };
    },
    emit(doc, meta?: MetaObject, options?: EmitOptions) {
      const indent = options?.indent ?? 4;
      const docs = doc.length ? doc : [branch()];
      const out = meta ? docs.map((b) => branch([...b.items, { key: 'sops', value: metaToTree(meta) }])) : docs;
      return utf8Encode(emitYamlDocuments(out, indent));
    },
    emitValue(value, options) {
      return utf8Encode(emitYamlValue(value, options?.indent ?? 4));
    },
    hasMetadata(doc) {
      return doc.some((b) => b.items.some((it) => it.key === 'sops'));
    },
  };
}
