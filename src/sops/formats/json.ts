// JSON store (spec §3.3): a top-level object only, key order and duplicate keys kept, integers and
// floats told apart by their literal, output like Go's json.Marshal + json.Indent (tab indent,
// `<>&` and U+2028/U+2029 escaped, trailing newline).

import { ParseError } from '../errors.js';
import {
  type Branch,
  type Document,
  type Item,
  type TreeValue,
  branch,
  formatFloatJSON,
  isBranch,
  isComment,
  parseGoInt,
  sopsFloat,
  sopsInt,
} from '../tree.js';
import { type EmitOptions, type MetaObject, type Store, extractTreeMetadata, metaToTree, utf8Decode, utf8Encode } from './store.js';

class JsonParser {
  private pos = 0;
  private readonly src: string;
  constructor(src: string) {
    this.src = src;
  }

  fail(msg: string): never {
    const before = this.src.slice(0, this.pos);
    const line = before.split('\n').length;
    const col = this.pos - before.lastIndexOf('\n');
    throw new ParseError(`Error unmarshalling input json: ${msg} at line ${line}, column ${col}`);
  }

  ws(): void {
    const s = this.src;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++;
      else break;
    }
  }

  document(): Branch {
    this.ws();
    if (this.src[this.pos] !== '{') {
      throw new ParseError("Error unmarshalling input json: SOPS only supports JSON files with a top-level object (starting with '{')");
    }
    const b = this.object();
    this.ws();
    if (this.pos < this.src.length) this.fail('unexpected data after the top-level object');
    return b;
  }

  value(): TreeValue {
    this.ws();
    const c = this.src[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === 't' && this.src.startsWith('true', this.pos)) { this.pos += 4; return true; }
    if (c === 'f' && this.src.startsWith('false', this.pos)) { this.pos += 5; return false; }
    if (c === 'n' && this.src.startsWith('null', this.pos)) { this.pos += 4; return null; }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    return this.fail(c === undefined ? 'unexpected end of input' : `invalid character '${c}'`);
  }

  object(): Branch {
    this.pos++; // {
    const items: Item[] = [];
    this.ws();
    if (this.src[this.pos] === '}') { this.pos++; return branch(items); }
    for (;;) {
      this.ws();
      if (this.src[this.pos] !== '"') this.fail('expected a string key');
      const key = this.string();
      this.ws();
      if (this.src[this.pos] !== ':') this.fail("expected ':' after object key");
      this.pos++;
      items.push({ key, value: this.value() });
      this.ws();
      const c = this.src[this.pos++];
      if (c === '}') return branch(items);
      if (c !== ',') this.fail("expected ',' or '}' in object");
    }
  }

  array(): TreeValue[] {
    this.pos++; // [
    const out: TreeValue[] = [];
    this.ws();
    if (this.src[this.pos] === ']') { this.pos++; return out; }
    for (;;) {
      out.push(this.value());
      this.ws();
      const c = this.src[this.pos++];
      if (c === ']') return out;
      if (c !== ',') this.fail("expected ',' or ']' in array");
    }
  }

  string(): string {
    const s = this.src;
    let i = ++this.pos;
    let out = '';
    let start = i;
    for (;;) {
      if (i >= s.length) { this.pos = i; this.fail('unterminated string'); }
      const c = s.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) { this.pos = i; this.fail('control character in string'); }
      if (c === 0x5c) {
        out += s.slice(start, i);
        const e = s[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && simple[e] !== undefined) { out += simple[e]; i += 2; }
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6))) { out += String.fromCharCode(parseInt(s.slice(i + 2, i + 6), 16)); i += 6; }
        else { this.pos = i; this.fail('invalid escape in string'); }
        start = i;
        continue;
      }
      i++;
    }
    out += s.slice(start, i);
    this.pos = i + 1;
    return out;
  }

  number(): TreeValue {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.src.slice(this.pos, this.pos + 400));
    if (!m) this.fail('invalid number');
    this.pos += m[0].length;
    const literal = m[0];
    // Go decodes with UseNumber: an int64 literal is an int, anything else a float64.
    const asInt = m[2] === undefined && m[3] === undefined ? parseGoInt(literal, 10) : undefined;
    return asInt !== undefined ? sopsInt(asInt) : sopsFloat(Number(literal));
  }
}

export function parseJsonDocument(text: string): Branch {
  return new JsonParser(text).document();
}

/** Parses any JSON value with the same typing rules (used by `set`). */
export function parseJsonValue(text: string): TreeValue {
  const p = new JsonParser(text);
  const v = p.value();
  p.ws();
  if ((p as unknown as { pos: number }).pos < text.length) p.fail('unexpected data after the value');
  return v;
}

// Go's encoding/json escaping (HTMLEscape on).
const ESCAPE_RE = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/;
export function goJsonString(s: string): string {
  if (!ESCAPE_RE.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      out += ch + s[++i];
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) { out += '\ufffd'; continue; }
    switch (ch) {
      case '"': out += '\\"'; break;
      case '\\': out += '\\\\'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      case '\b': out += '\\b'; break;
      case '\f': out += '\\f'; break;
      default:
        if (c < 0x20 || ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16).padStart(4, '0')}`;
        else out += ch;
    }
  }
  return `${out}"`;
}

function scalarJson(v: TreeValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return goJsonString(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Uint8Array) return goJsonString(new TextDecoder().decode(v));
  if (Array.isArray(v) || isBranch(v)) throw new TypeError('not a scalar');
  switch (v.kind) {
    case 'int': return v.value.toString();
    case 'float': {
      if (!Number.isFinite(v.value)) throw new ParseError('Error dumping file: json: unsupported value: NaN or Inf');
      return formatFloatJSON(v.value);
    }
    case 'time': return goJsonString(v.value);
    case 'comment': return goJsonString(v.value);
  }
}

/** Serialises a value in Go's json.Indent layout. Comments have no JSON form and are dropped. */
export function emitJsonValue(v: TreeValue, indentUnit: string, depth = 0): string {
  const pad = (d: number) => indentUnit.repeat(d);
  if (Array.isArray(v)) {
    const xs = v.filter((x) => !isComment(x));
    if (xs.length === 0) return '[]';
    return `[\n${xs.map((x) => pad(depth + 1) + emitJsonValue(x, indentUnit, depth + 1)).join(',\n')}\n${pad(depth)}]`;
  }
  if (isBranch(v)) {
    const items = v.items.filter((it) => typeof it.key === 'string');
    if (items.length === 0) return '{}';
    return `{\n${items.map((it) => `${pad(depth + 1)}${goJsonString(it.key as string)}: ${emitJsonValue(it.value, indentUnit, depth + 1)}`).join(',\n')}\n${pad(depth)}}`;
  }
  return scalarJson(v);
}

export function jsonIndentUnit(options?: EmitOptions): string {
  const n = options?.indent;
  return n === undefined || n < 0 ? '\t' : ' '.repeat(n);
}

export function createJsonStore(): Store {
  return {
    format: 'json',
    parse(bytes) {
      return [parseJsonDocument(utf8Decode(bytes, 'json'))];
    },
    parseEncrypted(bytes) {
      const doc: Document = [parseJsonDocument(utf8Decode(bytes, 'json'))];
      const meta = extractTreeMetadata(doc);
      return { doc, meta };
    },
    emit(doc, meta?: MetaObject, options?: EmitOptions) {
      const root = branch([...(doc[0]?.items ?? [])]);
      if (meta) root.items.push({ key: 'sops', value: metaToTree(meta) });
      return utf8Encode(`${emitJsonValue(root, jsonIndentUnit(options))}\n`);
    },
    emitValue(value, options) {
      return utf8Encode(`${emitJsonValue(value, jsonIndentUnit(options))}\n`);
    },
    hasMetadata(doc) {
      return doc.some((b) => b.items.some((it) => it.key === 'sops'));
    },
  };
}
