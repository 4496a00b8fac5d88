// A small evaluator for the Go text/template subset Vault uses for database username templates:
// `{{ printf "v-%s-%s" (.DisplayName | truncate 8) (random 20) | truncate 63 }}`. Pipelines with
// `|` (the left value becomes the last argument), parenthesised sub-pipelines, string/number
// literals, the fields .DisplayName and .RoleName, `{{-`/`-}}` trimming and `{{/* comments */}}`.
// Templates are parsed (and unknown functions/fields rejected) once, then executed per request.
import { createHash, randomInt, randomUUID } from 'node:crypto';
import { InvalidRequestError } from '../../core/errors.js';

export interface UsernameTemplateData {
  DisplayName: string;
  RoleName: string;
}

type Value = string | number;

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipeline };
type Operand =
  | { kind: 'field'; name: keyof UsernameTemplateData }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'func'; name: string }
  | { kind: 'pipe'; pipe: Pipeline };
type Command = Operand[];
type Pipeline = Command[];

const FIELDS = new Set<string>(['DisplayName', 'RoleName']);
const MAX_TEMPLATE = 4096;
const MAX_OUTPUT = 4096;
const MAX_RANDOM = 1024;
const RANDOM_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export class TemplateError extends InvalidRequestError {}

function fail(msg: string): never {
  throw new TemplateError(`unable to parse username template: ${msg}`);
}

// ---- lexer (inside an action) ----
type Tok =
  | { t: '(' | ')' | '|' }
  | { t: 'string'; v: string }
  | { t: 'number'; v: number }
  | { t: 'field'; v: string }
  | { t: 'ident'; v: string };

function unquote(body: string): string {
  // Go interpreted string literal escapes.
  return body.replace(/\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[0-7]{3}|.)/g, (_m, e: string) => {
    switch (e[0]) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case '\\': return '\\';
      case '"': return '"';
      case '\'': return '\'';
      case 'a': return '\x07';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'v': return '\v';
      case 'u': case 'x': return String.fromCodePoint(Number.parseInt(e.slice(1), 16));
      default:
        if (/^[0-7]{3}$/.test(e)) return String.fromCodePoint(Number.parseInt(e, 8));
        return fail(`unknown escape sequence \\${e}`);
    }
  });
}

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '(' || c === ')' || c === '|') { out.push({ t: c }); i++; continue; }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') { if (src[j] === '\\') j++; j++; }
      if (j >= src.length) fail('unterminated quoted string');
      out.push({ t: 'string', v: unquote(src.slice(i + 1, j)) });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) fail('unterminated raw quoted string');
      out.push({ t: 'string', v: src.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    const num = /^-?[0-9]+/.exec(src.slice(i));
    if (num) {
      const v = Number.parseInt(num[0], 10);
      if (!Number.isSafeInteger(v)) fail(`number out of range: ${num[0]}`);
      out.push({ t: 'number', v });
      i += num[0].length;
      continue;
    }
    const field = /^\.([A-Za-z_][A-Za-z0-9_]*)/.exec(src.slice(i));
    if (field) { out.push({ t: 'field', v: field[1]! }); i += field[0].length; continue; }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (ident) { out.push({ t: 'ident', v: ident[0] }); i += ident[0].length; continue; }
    fail(`unexpected ${JSON.stringify(c)} in action`);
  }
  return out;
}

// ---- functions ----
interface FuncDef {
  /** Argument kinds; 'rest' takes any number of values. */
  args: Array<'int' | 'string' | 'any'> | 'printf';
  fn: (args: Value[], now: Date) => Value;
}

function sha256hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Formats a UTC time with a Go reference-time layout ("2006-01-02T15:04:05Z07:00"). */
export function formatGoTime(d: Date, layout: string): string {
  const tokens: Array<[string, () => string]> = [
    ['January', () => MONTHS[d.getUTCMonth()]!],
    ['Monday', () => DAYS[d.getUTCDay()]!],
    ['2006', () => pad(d.getUTCFullYear(), 4)],
    ['Jan', () => MONTHS[d.getUTCMonth()]!.slice(0, 3)],
    ['Mon', () => DAYS[d.getUTCDay()]!.slice(0, 3)],
    ['MST', () => 'UTC'],
    ['Z07:00', () => 'Z'],
    ['Z0700', () => 'Z'],
    ['-07:00', () => '+00:00'],
    ['-0700', () => '+0000'],
    ['-07', () => '+00'],
    ['.000000000', () => `.${pad(d.getUTCMilliseconds(), 3)}000000`],
    ['.000000', () => `.${pad(d.getUTCMilliseconds(), 3)}000`],
    ['.000', () => `.${pad(d.getUTCMilliseconds(), 3)}`],
    ['01', () => pad(d.getUTCMonth() + 1)],
    ['02', () => pad(d.getUTCDate())],
    ['_2', () => String(d.getUTCDate()).padStart(2, ' ')],
    ['06', () => pad(d.getUTCFullYear() % 100)],
    ['15', () => pad(d.getUTCHours())],
    ['03', () => pad(d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12)],
    ['04', () => pad(d.getUTCMinutes())],
    ['05', () => pad(d.getUTCSeconds())],
    ['PM', () => (d.getUTCHours() >= 12 ? 'PM' : 'AM')],
    ['pm', () => (d.getUTCHours() >= 12 ? 'pm' : 'am')],
    ['1', () => String(d.getUTCMonth() + 1)],
    ['2', () => String(d.getUTCDate())],
    ['3', () => String(d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12)],
    ['4', () => String(d.getUTCMinutes())],
    ['5', () => String(d.getUTCSeconds())],
  ];
  let out = '';
  let i = 0;
  outer: while (i < layout.length) {
    for (const [tok, f] of tokens) {
      if (layout.startsWith(tok, i)) { out += f(); i += tok.length; continue outer; }
    }
    out += layout[i];
    i++;
  }
  return out;
}

function printf(args: Value[]): string {
  const [format, ...rest] = args;
  if (typeof format !== 'string') throw new TemplateError('printf: format must be a string');
  let n = 0;
  let out = format.replace(/%(-?)([0-9]*)([sdvqx%])/g, (_m, left: string, width: string, verb: string) => {
    if (verb === '%') return '%';
    if (n >= rest.length) return `%!${verb}(MISSING)`;
    const v = rest[n++]!;
    let s: string;
    switch (verb) {
      case 'd': s = typeof v === 'number' ? String(v) : `%!d(string=${v})`; break;
      case 'q': s = JSON.stringify(String(v)); break;
      case 'x': s = typeof v === 'number' ? v.toString(16) : Buffer.from(v).toString('hex'); break;
      default: s = String(v);
    }
    const w = width === '' ? 0 : Math.min(Number.parseInt(width, 10), MAX_OUTPUT);
    if (s.length < w) s = left ? s.padEnd(w) : s.padStart(w, width.startsWith('0') && verb === 'd' ? '0' : ' ');
    return s;
  });
  if (n < rest.length) out += `%!(EXTRA ${rest.slice(n).map(String).join(', ')})`;
  return out;
}

const FUNCS: Record<string, FuncDef> = {
  printf: { args: 'printf', fn: (a) => printf(a) },
  truncate: {
    args: ['int', 'string'],
    fn: ([n, s]) => {
      if ((n as number) <= 0) throw new TemplateError('truncate: max length must be > 0');
      return [...(s as string)].slice(0, n as number).join('');
    },
  },
  truncate_sha256: {
    args: ['int', 'string'],
    fn: ([n, s]) => {
      const max = n as number;
      const str = s as string;
      if (max <= 8) throw new TemplateError('truncate_sha256: max length must be > 8');
      if (str.length <= max) return str;
      return str.slice(0, max - 8) + sha256hex(str).slice(0, 8);
    },
  },
  random: {
    args: ['int'],
    fn: ([n]) => {
      const len = n as number;
      if (len <= 0 || len > MAX_RANDOM) throw new TemplateError(`random: length must be between 1 and ${MAX_RANDOM}`);
      let s = '';
      for (let i = 0; i < len; i++) s += RANDOM_CHARS[randomInt(RANDOM_CHARS.length)];
      return s;
    },
  },
  unix_time: { args: [], fn: (_a, now) => Math.floor(now.getTime() / 1000) },
  unix_time_millis: { args: [], fn: (_a, now) => now.getTime() },
  timestamp: { args: ['string'], fn: ([layout], now) => formatGoTime(now, layout as string) },
  uuid: { args: [], fn: () => randomUUID() },
  lowercase: { args: ['string'], fn: ([s]) => (s as string).toLowerCase() },
  uppercase: { args: ['string'], fn: ([s]) => (s as string).toUpperCase() },
  replace: { args: ['string', 'string', 'string'], fn: ([from, to, s]) => (s as string).split(from as string).join(to as string) },
  sha256: { args: ['string'], fn: ([s]) => sha256hex(s as string) },
  base64: { args: ['string'], fn: ([s]) => Buffer.from(s as string, 'utf8').toString('base64') },
};

// ---- parser ----
function parsePipeline(toks: Tok[], pos: { i: number }, nested: boolean): Pipeline {
  const pipe: Pipeline = [];
  let cmd: Command = [];
  while (pos.i < toks.length) {
    const tok = toks[pos.i]!;
    if (tok.t === ')') {
      if (!nested) fail('unexpected right paren');
      break;
    }
    pos.i++;
    switch (tok.t) {
      case '|':
        if (cmd.length === 0) fail('missing command before |');
        pipe.push(cmd);
        cmd = [];
        break;
      case '(': {
        const inner = parsePipeline(toks, pos, true);
        if (toks[pos.i]?.t !== ')') fail('unclosed left paren');
        pos.i++;
        cmd.push({ kind: 'pipe', pipe: inner });
        break;
      }
      case 'string': cmd.push({ kind: 'string', value: tok.v }); break;
      case 'number': cmd.push({ kind: 'number', value: tok.v }); break;
      case 'field':
        if (!FIELDS.has(tok.v)) fail(`unknown field .${tok.v} (available: .DisplayName, .RoleName)`);
        cmd.push({ kind: 'field', name: tok.v as keyof UsernameTemplateData });
        break;
      case 'ident':
        if (!Object.hasOwn(FUNCS, tok.v)) fail(`function "${tok.v}" not defined`);
        if (cmd.length > 0) fail(`function "${tok.v}" must come first in a command (use parentheses)`);
        cmd.push({ kind: 'func', name: tok.v });
        break;
    }
  }
  if (cmd.length === 0) fail(pipe.length === 0 ? 'missing value for command' : 'missing command after |');
  pipe.push(cmd);
  for (const [i, c] of pipe.entries()) {
    if (c[0]!.kind !== 'func' && c.length > 1) fail('can\'t give argument to non-function');
    if (c[0]!.kind !== 'func' && i > 0) fail('can\'t give argument to non-function');
  }
  return pipe;
}

export interface UsernameTemplate {
  readonly source: string;
  execute(data: UsernameTemplateData, now?: Date): string;
}

/** Parses a template; throws InvalidRequestError (TemplateError) when it is malformed. */
export function parseUsernameTemplate(source: string): UsernameTemplate {
  if (source.length > MAX_TEMPLATE) fail(`template longer than ${MAX_TEMPLATE} characters`);
  const nodes: Node[] = [];
  let i = 0;
  let trimNext = false;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    let text = open < 0 ? source.slice(i) : source.slice(i, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    trimNext = false;
    if (open < 0) { if (text) nodes.push({ kind: 'text', text }); break; }
    let start = open + 2;
    if (source.startsWith('- ', start) || source.startsWith('-\t', start) || source.startsWith('-\n', start)) {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    if (text) nodes.push({ kind: 'text', text });
    // Find the closing braces outside string literals.
    let j = start;
    let close = -1;
    while (j < source.length) {
      const c = source[j]!;
      if (c === '"') { j++; while (j < source.length && source[j] !== '"') { if (source[j] === '\\') j++; j++; } j++; continue; }
      if (c === '`') { const k = source.indexOf('`', j + 1); j = k < 0 ? source.length : k + 1; continue; }
      if (source.startsWith('}}', j)) { close = j; break; }
      j++;
    }
    if (close < 0) fail('unclosed action');
    let body = source.slice(start, close);
    if (/\s-$/.test(body)) { body = body.slice(0, -1); trimNext = true; }
    i = close + 2;
    const trimmed = body.trim();
    if (trimmed.startsWith('/*')) {
      if (!trimmed.endsWith('*/')) fail('unclosed comment');
      continue;
    }
    const toks = lex(body);
    if (toks.length === 0) fail('missing value for command');
    const pos = { i: 0 };
    const pipe = parsePipeline(toks, pos, false);
    if (pos.i !== toks.length) fail('unexpected tokens at end of action');
    nodes.push({ kind: 'action', pipe });
  }

  function evalOperand(op: Operand, data: UsernameTemplateData, now: Date): Value {
    switch (op.kind) {
      case 'field': return data[op.name];
      case 'string': return op.value;
      case 'number': return op.value;
      case 'pipe': return evalPipeline(op.pipe, data, now);
      case 'func': return callFunc(op.name, [], now);
    }
  }

  function callFunc(name: string, args: Value[], now: Date): Value {
    const def = FUNCS[name]!;
    if (def.args !== 'printf') {
      if (args.length !== def.args.length) throw new TemplateError(`wrong number of args for ${name}: want ${def.args.length} got ${args.length}`);
      def.args.forEach((kind, k) => {
        const v = args[k];
        if (kind === 'int' && typeof v !== 'number') throw new TemplateError(`${name}: argument ${k + 1} must be an integer`);
        if (kind === 'string' && typeof v !== 'string') throw new TemplateError(`${name}: argument ${k + 1} must be a string`);
      });
    } else if (args.length === 0) {
      throw new TemplateError('wrong number of args for printf: want at least 1 got 0');
    }
    const out = def.fn(args, now);
    if (typeof out === 'string' && out.length > MAX_OUTPUT) throw new TemplateError('template output too long');
    return out;
  }

  function evalPipeline(pipe: Pipeline, data: UsernameTemplateData, now: Date): Value {
    let prev: Value | undefined;
    for (const cmd of pipe) {
      const head = cmd[0]!;
      if (head.kind !== 'func') { prev = evalOperand(head, data, now); continue; }
      const args = cmd.slice(1).map((o) => evalOperand(o, data, now));
      if (prev !== undefined) args.push(prev);
      prev = callFunc(head.name, args, now);
    }
    return prev!;
  }

  return {
    source,
    execute(data, now = new Date()) {
      let out = '';
      for (const n of nodes) {
        out += n.kind === 'text' ? n.text : String(evalPipeline(n.pipe, data, now));
        if (out.length > MAX_OUTPUT) throw new TemplateError('template output too long');
      }
      return out;
    },
  };
}

/** Parses and test-runs a template so a config write can refuse a bad one with a 400. */
export function validateUsernameTemplate(source: string): void {
  const t = parseUsernameTemplate(source);
  try {
    t.execute({ DisplayName: 'token', RoleName: 'role' });
  } catch (err) {
    if (err instanceof TemplateError) throw new TemplateError(`invalid username template: ${err.message}`);
    throw err;
  }
}
