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
  return text.split('\n').filter((l) => l !== '').map((l) => comment(l, inline));
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

export function parseYamlDocuments(text: string): Document {
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
// Emitting

function scalarNode(doc: YAML.Document, v: TreeValue): YamlScalar {
  const mk = (text: string, type?: YamlScalar.Type) => {
    const s = doc.createNode(text) as YamlScalar;
    if (type) s.type = type;
    return s;
  };
  if (v === null) return mk('null', 'PLAIN');
  if (typeof v === 'boolean') return mk(v ? 'true' : 'false', 'PLAIN');
  if (typeof v === 'string' || v instanceof Uint8Array) {
    const s = typeof v === 'string' ? v : new TextDecoder().decode(v);
    // Quote when the plain form would be read back as another type.
    let ambiguous: boolean;
    try {
      ambiguous = typeof resolvePlainScalar(s) !== 'string';
    } catch {
      ambiguous = true;
    }
    if (ambiguous) return mk(s, 'QUOTE_DOUBLE');
    return mk(s);
  }
  if (Array.isArray(v) || isBranch(v) || isComment(v)) throw new TypeError('not a scalar');
  switch (v.kind) {
    case 'int': return mk(v.value.toString(), 'PLAIN');
    case 'float': {
      const x = v.value;
      const text = Number.isNaN(x) ? '.nan' : x === Infinity ? '.inf' : x === -Infinity ? '-.inf' : formatFloatG(x);
      return mk(text, 'PLAIN');
    }
    case 'time': return mk(v.value, 'PLAIN');
  }
}

function joinComments(cs: Comment[]): string {
  return cs.map((c) => c.value).join('\n');
}

function buildNode(doc: YAML.Document, v: TreeValue): YamlNode {
  if (isBranch(v)) return buildMap(doc, v);
  if (Array.isArray(v)) return buildSeq(doc, v);
  return scalarNode(doc, v);
}

function appendComment(existing: string | null | undefined, text: string): string {
  return existing ? `${existing}\n${text}` : text;
}

function buildMap(doc: YAML.Document, b: Branch): YAMLMap {
  const map = doc.createNode({}) as YAMLMap;
  let pending: Comment[] = [];
  let lastValue: YamlNode | null = null;
  for (const it of b.items) {
    if (typeof it.key !== 'string') {
      if (it.key.inline && lastValue && isScalar(lastValue) && pending.length === 0) lastValue.comment = appendComment(lastValue.comment, it.key.value);
      else pending.push(it.key);
      continue;
    }
    const k = scalarNode(doc, it.key);
    if (pending.length) k.commentBefore = joinComments(pending);
    pending = [];
    const value = buildNode(doc, it.value);
    map.items.push(doc.createPair(k, value));
    lastValue = value;
  }
  if (pending.length) map.comment = joinComments(pending);
  return map;
}

function buildSeq(doc: YAML.Document, xs: TreeValue[]): YAMLSeq {
  const seq = doc.createNode([]) as YAMLSeq;
  let pending: Comment[] = [];
  let last: YamlNode | null = null;
  for (const x of xs) {
    if (isComment(x)) {
      if (x.inline && last && isScalar(last) && pending.length === 0) last.comment = appendComment(last.comment, x.value);
      else pending.push(x);
      continue;
    }
    const n = buildNode(doc, x);
    if (pending.length) n.commentBefore = joinComments(pending);
    pending = [];
    seq.items.push(n);
    last = n;
  }
  if (pending.length) seq.comment = joinComments(pending);
  return seq;
}

const TO_STRING_OPTIONS = (indent: number): YAML.ToStringOptions => ({
  indent,
  indentSeq: true,
  lineWidth: 0,
  minContentWidth: 0,
  singleQuote: false,
  blockQuote: 'literal',
  flowCollectionPadding: false,
});

function emitBranch(b: Branch, indent: number): string {
  const doc = new YAML.Document(null, { schema: 'failsafe' } as YAML.DocumentOptions & YAML.SchemaOptions);
  doc.contents = buildMap(doc, b) as unknown as typeof doc.contents;
  return doc.toString(TO_STRING_OPTIONS(indent));
}

export function emitYamlDocuments(docs: Document, indent = 4): string {
  return docs.map((b) => emitBranch(b, indent)).join('---\n');
}

export function emitYamlValue(v: TreeValue, indent = 4): string {
  const doc = new YAML.Document(null, { schema: 'failsafe' } as YAML.DocumentOptions & YAML.SchemaOptions);
  doc.contents = buildNode(doc, v) as unknown as typeof doc.contents;
  return doc.toString(TO_STRING_OPTIONS(indent));
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
