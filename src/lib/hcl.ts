// A small parser for the HCL subset that Vault-style configs and policies use. npm has no
// well-kept pure-JS HCL library (the candidates are multi-megabyte GopherJS builds of the Go
// parser, unmaintained), so this covers exactly what we need:
//   comments (#, //, /* */); attributes `key = value` (key: identifier or quoted string);
//   strings with escapes; heredocs (<<EOF, <<-EOF); numbers; true/false/null; lists with trailing
//   commas; object literals `{ a = 1, "b": "x" }`; blocks with zero or more labels, nested.
// Like HCL1 (which Vault policies are written in), newlines are not significant: items may be
// separated by newlines, commas or nothing. `${…}` interpolation is not evaluated: it stays literal.
// Every malformed input raises HclSyntaxError with a line and a column; nesting is bounded so
// hostile input cannot overflow the stack.
import { InvalidRequestError } from '../core/errors.js';

export type HclValue = string | number | boolean | null | HclValue[] | { [key: string]: HclValue };

export interface HclBody {
  attributes: Record<string, HclValue>;
  /** Line (1-based) where each attribute's key appears. */
  attributeLines: Record<string, number>;
  blocks: HclBlock[];
}

export interface HclBlock {
  type: string;
  labels: string[];
  body: HclBody;
  line: number;
}

export class HclSyntaxError extends InvalidRequestError {
  readonly line: number;
  readonly column: number;
  readonly reason: string;
  constructor(reason: string, line: number, column: number) {
    super(`${reason} at line ${line}, column ${column}`);
    this.reason = reason;
    this.line = line;
    this.column = column;
  }
}

/** Deepest allowed nesting of blocks, lists and objects together. */
export const HCL_MAX_DEPTH = 64;

type TokenKind = 'ident' | 'string' | 'number' | 'punct' | 'eof';

interface Token {
  kind: TokenKind;
  /** ident: the name; string/heredoc: the decoded value; punct: the character; number: the source text. */
  text: string;
  line: number;
  column: number;
}

const enc = (c: string): number => c.charCodeAt(0);
const CH_NL = 10;
const CH_CR = 13;

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57) || c === 45 /* - */ || c === 46 /* . */;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function describe(tok: Token): string {
  switch (tok.kind) {
    case 'eof': return 'end of input';
    case 'string': return 'string';
    case 'number': return `number ${tok.text}`;
    case 'ident': return `identifier "${tok.text.length > 40 ? `${tok.text.slice(0, 40)}…` : tok.text}"`;
    default: return `'${tok.text}'`;
  }
}

class Lexer {
  private readonly src: string;
  private pos = 0;
  private line = 1;
  private lineStart = 0;

  constructor(src: string) {
    this.src = src.charCodeAt(0) === 0xfeff ? src.slice(1) : src;
  }

  private fail(reason: string, line = this.line, column = this.pos - this.lineStart + 1): never {
    throw new HclSyntaxError(reason, line, column);
  }

  private newline(at: number): void {
    this.line++;
    this.lineStart = at + 1;
  }

  /** Skips whitespace, newlines and comments. */
  private skipTrivia(): void {
    const s = this.src;
    for (;;) {
      const c = s.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === CH_CR) {
        this.pos++;
      } else if (c === CH_NL) {
        this.newline(this.pos);
        this.pos++;
      } else if (c === 35 /* # */ || (c === 47 /* / */ && s.charCodeAt(this.pos + 1) === 47)) {
        while (this.pos < s.length && s.charCodeAt(this.pos) !== CH_NL) this.pos++;
      } else if (c === 47 && s.charCodeAt(this.pos + 1) === 42 /* * */) {
        const line = this.line;
        const column = this.pos - this.lineStart + 1;
        this.pos += 2;
        for (;;) {
          if (this.pos >= s.length) this.fail('unterminated block comment', line, column);
          const d = s.charCodeAt(this.pos);
          if (d === 42 && s.charCodeAt(this.pos + 1) === 47) {
            this.pos += 2;
            break;
          }
          if (d === CH_NL) this.newline(this.pos);
          this.pos++;
        }
      } else {
        return;
      }
    }
  }

  next(): Token {
    this.skipTrivia();
    const s = this.src;
    const line = this.line;
    const column = this.pos - this.lineStart + 1;
    if (this.pos >= s.length) return { kind: 'eof', text: '', line, column };
    const c = s.charCodeAt(this.pos);
    if (c === 34 /* " */) return { kind: 'string', text: this.readString(line, column), line, column };
    if (c === 60 /* < */ && s.charCodeAt(this.pos + 1) === 60) {
      return { kind: 'string', text: this.readHeredoc(line, column), line, column };
    }
    if (isDigit(c) || (c === 45 /* - */ && isDigit(s.charCodeAt(this.pos + 1)))) {
      return { kind: 'number', text: this.readNumber(line, column), line, column };
    }
    if (isIdentStart(c)) {
      const start = this.pos;
      while (this.pos < s.length && isIdentPart(s.charCodeAt(this.pos))) this.pos++;
      return { kind: 'ident', text: s.slice(start, this.pos), line, column };
    }
    if (c === enc('{') || c === enc('}') || c === enc('[') || c === enc(']') || c === enc('=') || c === enc(',') || c === enc(':')) {
      this.pos++;
      return { kind: 'punct', text: String.fromCharCode(c), line, column };
    }
    const shown = c < 32 || c === 127 ? `\\x${c.toString(16).padStart(2, '0')}` : String.fromCodePoint(s.codePointAt(this.pos) ?? c);
    return this.fail(`unexpected character '${shown}'`, line, column);
  }

  private readNumber(line: number, column: number): string {
    const s = this.src;
    const start = this.pos;
    if (s.charCodeAt(this.pos) === 45) this.pos++;
    if (s.charCodeAt(this.pos) === 48 && (s.charCodeAt(this.pos + 1) | 32) === 120 /* x */) {
      this.pos += 2;
      const digitsStart = this.pos;
      while (/[0-9a-fA-F]/.test(s.charAt(this.pos))) this.pos++;
      if (this.pos === digitsStart) this.fail('invalid hexadecimal number', line, column);
    } else {
      while (isDigit(s.charCodeAt(this.pos))) this.pos++;
      if (s.charCodeAt(this.pos) === 46 /* . */) {
        this.pos++;
        if (!isDigit(s.charCodeAt(this.pos))) this.fail('invalid number: expected digits after "."', line, column);
        while (isDigit(s.charCodeAt(this.pos))) this.pos++;
      }
      if ((s.charCodeAt(this.pos) | 32) === 101 /* e */) {
        this.pos++;
        const sign = s.charCodeAt(this.pos);
        if (sign === 43 || sign === 45) this.pos++;
        if (!isDigit(s.charCodeAt(this.pos))) this.fail('invalid number: expected exponent digits', line, column);
        while (isDigit(s.charCodeAt(this.pos))) this.pos++;
      }
    }
    if (this.pos < s.length && isIdentPart(s.charCodeAt(this.pos))) {
      this.fail(`invalid number "${s.slice(start, Math.min(this.pos + 8, s.length)).split('\n')[0]}" (quote durations and other strings)`, line, column);
    }
    return s.slice(start, this.pos);
  }

  private readString(line: number, column: number): string {
    const s = this.src;
    this.pos++; // opening quote
    let out = '';
    let chunkStart = this.pos;
    for (;;) {
      if (this.pos >= s.length) this.fail('unterminated string', line, column);
      const c = s.charCodeAt(this.pos);
      if (c === 34) {
        out += s.slice(chunkStart, this.pos);
        this.pos++;
        return out;
      }
      if (c === CH_NL) this.fail('unterminated string (newline in string)', line, column);
      if (c !== 92 /* \ */) {
        this.pos++;
        continue;
      }
      out += s.slice(chunkStart, this.pos);
      const escLine = this.line;
      const escColumn = this.pos - this.lineStart + 1;
      const e = s.charAt(this.pos + 1);
      this.pos += 2;
      switch (e) {
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u':
        case 'U': {
          const n = e === 'u' ? 4 : 8;
          const hex = s.slice(this.pos, this.pos + n);
          if (hex.length !== n || !/^[0-9a-fA-F]+$/.test(hex)) this.fail(`invalid \\${e} escape: expected ${n} hex digits`, escLine, escColumn);
          const cp = Number.parseInt(hex, 16);
          if (cp > 0x10ffff) this.fail(`invalid \\${e} escape: code point out of range`, escLine, escColumn);
          out += String.fromCodePoint(cp);
          this.pos += n;
          break;
        }
        default:
          this.fail(e === '' || e === '\n' ? 'unterminated string' : `invalid escape sequence "\\${e}"`, escLine, escColumn);
      }
      chunkStart = this.pos;
    }
  }

  private readHeredoc(line: number, column: number): string {
    const s = this.src;
    this.pos += 2;
    const indent = s.charCodeAt(this.pos) === 45; // <<-
    if (indent) this.pos++;
    const idStart = this.pos;
    while (this.pos < s.length && isIdentPart(s.charCodeAt(this.pos))) this.pos++;
    const marker = s.slice(idStart, this.pos);
    if (marker === '' || !isIdentStart(marker.charCodeAt(0))) this.fail('heredoc: expected an identifier after "<<"', line, column);
    while (s.charCodeAt(this.pos) === 32 || s.charCodeAt(this.pos) === 9 || s.charCodeAt(this.pos) === CH_CR) this.pos++;
    if (s.charCodeAt(this.pos) !== CH_NL) this.fail('heredoc: the marker must be followed by a newline', line, column);
    this.newline(this.pos);
    this.pos++;
    const lines: string[] = [];
    for (;;) {
      if (this.pos >= s.length) this.fail(`unterminated heredoc (missing "${marker}")`, line, column);
      let end = s.indexOf('\n', this.pos);
      const atEof = end === -1;
      if (atEof) end = s.length;
      let text = s.slice(this.pos, end);
      if (text.endsWith('\r')) text = text.slice(0, -1);
      if (text.trim() === marker) {
        // Leave the position right after the marker so the next token starts on that line.
        this.pos += text.indexOf(marker) + marker.length;
        break;
      }
      lines.push(text);
      if (atEof) this.fail(`unterminated heredoc (missing "${marker}")`, line, column);
      this.newline(end);
      this.pos = end + 1;
    }
    if (indent) {
      let common = Infinity;
      for (const l of lines) {
        if (l.trim() === '') continue;
        const lead = /^[ \t]*/.exec(l)![0].length;
        if (lead < common) common = lead;
      }
      if (common !== Infinity && common > 0) {
        for (let i = 0; i < lines.length; i++) lines[i] = lines[i]!.slice(Math.min(common, /^[ \t]*/.exec(lines[i]!)![0].length));
      }
    }
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }
}

class Parser {
  private readonly lexer: Lexer;
  private tok: Token;
  private depth = 0;

  constructor(src: string) {
    this.lexer = new Lexer(src);
    this.tok = this.lexer.next();
  }

  private advance(): Token {
    const t = this.tok;
    this.tok = this.lexer.next();
    return t;
  }

  private fail(reason: string, tok: Token = this.tok): never {
    throw new HclSyntaxError(reason, tok.line, tok.column);
  }

  private isPunct(ch: string): boolean {
    return this.tok.kind === 'punct' && this.tok.text === ch;
  }

  private enter(tok: Token): void {
    if (++this.depth > HCL_MAX_DEPTH) this.fail(`nesting deeper than ${HCL_MAX_DEPTH} levels`, tok);
  }

  parseFile(): HclBody {
    const body = this.parseBody(true);
    if (this.tok.kind !== 'eof') this.fail(`unexpected ${describe(this.tok)}`);
    return body;
  }

  /** Items until '}' (inner body) or end of input (top level). The closing brace is not consumed. */
  private parseBody(topLevel: boolean): HclBody {
    const body: HclBody = { attributes: Object.create(null) as Record<string, HclValue>, attributeLines: Object.create(null) as Record<string, number>, blocks: [] };
    for (;;) {
      const t = this.tok;
      if (t.kind === 'eof') {
        if (!topLevel) this.fail("unexpected end of input: expected '}'");
        return finishBody(body);
      }
      if (!topLevel && this.isPunct('}')) return finishBody(body);
      if (this.isPunct(',')) { // tolerated separator between items
        this.advance();
        continue;
      }
      if (t.kind !== 'ident' && t.kind !== 'string') this.fail(`unexpected ${describe(t)}: expected an attribute name or a block`);
      const key = this.advance();
      if (this.isPunct('=')) {
        this.advance();
        if (Object.prototype.hasOwnProperty.call(body.attributes, key.text)) {
          this.fail(`attribute "${key.text}" is defined more than once (first on line ${body.attributeLines[key.text]})`, key);
        }
        body.attributes[key.text] = this.parseValue();
        body.attributeLines[key.text] = key.line;
        continue;
      }
      const labels: string[] = [];
      while (this.tok.kind === 'string' || this.tok.kind === 'ident') labels.push(this.advance().text);
      if (!this.isPunct('{')) {
        if (labels.length > 0 && this.isPunct('=')) this.fail(`unexpected '=' after block labels of "${key.text}": expected '{'`);
        this.fail(`unexpected ${describe(this.tok)} after "${key.text}": expected '=' or '{'`);
      }
      const open = this.advance();
      this.enter(open);
      const inner = this.parseBody(false);
      this.depth--;
      this.advance(); // '}'
      body.blocks.push({ type: key.text, labels, body: inner, line: key.line });
    }
  }

  private parseValue(): HclValue {
    const t = this.tok;
    switch (t.kind) {
      case 'string':
        this.advance();
        return t.text;
      case 'number': {
        this.advance();
        const neg = t.text.startsWith('-');
        const digits = neg ? t.text.slice(1) : t.text;
        const n = /^0[xX]/.test(digits) ? Number.parseInt(digits.slice(2), 16) : Number(digits);
        if (!Number.isFinite(n)) this.fail(`number ${t.text} is out of range`, t);
        return neg ? -n : n;
      }
      case 'ident':
        this.advance();
        if (t.text === 'true') return true;
        if (t.text === 'false') return false;
        if (t.text === 'null') return null;
        return this.fail(`unexpected ${describe(t)}: expected a value (strings must be quoted)`, t);
      case 'punct':
        if (t.text === '[') return this.parseList();
        if (t.text === '{') return this.parseObject();
        return this.fail(`unexpected ${describe(t)}: expected a value`, t);
      default:
        return this.fail(`unexpected ${describe(t)}: expected a value`, t);
    }
  }

  private parseList(): HclValue[] {
    const open = this.advance();
    this.enter(open);
    const items: HclValue[] = [];
    for (;;) {
      if (this.isPunct(']')) break;
      items.push(this.parseValue());
      if (this.isPunct(',')) {
        this.advance();
        continue;
      }
      if (!this.isPunct(']')) this.fail(`unexpected ${describe(this.tok)} in list: expected ',' or ']'`);
    }
    this.advance();
    this.depth--;
    return items;
  }

  private parseObject(): { [key: string]: HclValue } {
    const open = this.advance();
    this.enter(open);
    const obj = Object.create(null) as { [key: string]: HclValue };
    for (;;) {
      if (this.isPunct('}')) break;
      if (this.isPunct(',')) {
        this.advance();
        continue;
      }
      const k = this.tok;
      if (k.kind !== 'ident' && k.kind !== 'string') this.fail(`unexpected ${describe(k)} in object: expected a key or '}'`);
      this.advance();
      if (!this.isPunct('=') && !this.isPunct(':')) this.fail(`unexpected ${describe(this.tok)} after object key "${k.text}": expected '=' or ':'`);
      this.advance();
      if (Object.prototype.hasOwnProperty.call(obj, k.text)) this.fail(`object key "${k.text}" is defined more than once`, k);
      obj[k.text] = this.parseValue();
    }
    this.advance();
    this.depth--;
    return toPlainObject(obj);
  }
}

function finishBody(body: HclBody): HclBody {
  return { attributes: toPlainObject(body.attributes), attributeLines: toPlainObject(body.attributeLines), blocks: body.blocks };
}

function toPlainObject<T>(o: Record<string, T>): Record<string, T> {
  // Null-prototype maps keep "__proto__" and friends as ordinary keys while parsing; hand back a
  // normal object built with defineProperty so no key can reach a prototype.
  const out: Record<string, T> = {};
  for (const k of Object.keys(o)) Object.defineProperty(out, k, { value: o[k], enumerable: true, writable: true, configurable: true });
  return out;
}

/** Parses HCL text into attributes and blocks. Throws HclSyntaxError on any malformed input. */
export function parseHCL(text: string): HclBody {
  if (typeof text !== 'string') throw new HclSyntaxError('HCL input must be a string', 1, 1);
  return new Parser(text).parseFile();
}

/**
 * Converts a parsed body into plain JSON-like values, HCL1-style: an attribute becomes a key;
 * a block `type "l1" "l2" { … }` becomes `{ type: { l1: { l2: { …body } } } }`. Blocks with
 * different labels under one type share the type's object; when the same type and labels occur
 * more than once, that place holds an array of the bodies in source order.
 * A name used both as an attribute and as a block (at the same place) is an HclSyntaxError.
 */
export function hclBodyToObject(body: HclBody): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const set = (obj: Record<string, unknown>, key: string, value: unknown): void => {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  };
  const has = (obj: Record<string, unknown>, key: string): boolean => Object.prototype.hasOwnProperty.call(obj, key);
  const blockBodies = new Set<unknown>(); // bodies produced by blocks, which may be turned into arrays
  const containers = new Set<unknown>(); // intermediate label objects
  for (const key of Object.keys(body.attributes)) set(out, key, body.attributes[key]);
  for (const block of body.blocks) {
    const path = [block.type, ...block.labels];
    const value = hclBodyToObject(block.body);
    let obj = out;
    for (let i = 0; i < path.length; i++) {
      const k = path[i]!;
      const last = i === path.length - 1;
      if (!has(obj, k)) {
        if (last) {
          set(obj, k, value);
          blockBodies.add(value);
        } else {
          const c: Record<string, unknown> = {};
          containers.add(c);
          set(obj, k, c);
          obj = c;
        }
        continue;
      }
      const existing = obj[k];
      if (last) {
        if (Array.isArray(existing) && blockBodies.has(existing)) existing.push(value);
        else if (blockBodies.has(existing)) {
          const arr = [existing, value];
          blockBodies.add(arr);
          set(obj, k, arr);
        } else throw new HclSyntaxError(`"${path.slice(0, i + 1).join('.')}" is defined both as a block and otherwise`, block.line, 1);
      } else if (containers.has(existing)) {
        obj = existing as Record<string, unknown>;
      } else {
        throw new HclSyntaxError(`"${path.slice(0, i + 1).join('.')}" is defined both as a block and otherwise`, block.line, 1);
      }
    }
  }
  return out;
}
