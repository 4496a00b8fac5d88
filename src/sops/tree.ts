// The in-memory model of a sops document, independent of the file format.
//
// A document is a list of branches (one per YAML document; every other format has exactly one).
// A branch is an ordered list of items; an item's key is a string or a Comment. Values keep the
// type distinctions sops makes (int vs float vs string vs time), because the type decides both the
// `type:` tag of an encrypted value and the bytes fed to the MAC.

export interface Comment {
  readonly kind: 'comment';
  /** Text after the `#` / `;`, including any leading space. */
  value: string;
  /** A YAML comment that sat on the same line as a value. */
  inline?: boolean;
}

export interface SopsInt {
  readonly kind: 'int';
  /** 64-bit signed integers need more than 53 bits: keep them exact. */
  value: bigint;
}

export interface SopsFloat {
  readonly kind: 'float';
  value: number;
}

export interface SopsTime {
  readonly kind: 'time';
  /** RFC 3339 text with fractional seconds only when non-zero (Go's RFC3339Nano). */
  value: string;
}

/** Binary-store payloads and anything else that may not be valid UTF-8. */
export type Bytes = Uint8Array;

export type Scalar = string | boolean | null | SopsInt | SopsFloat | SopsTime | Bytes;

export interface Branch {
  readonly kind: 'branch';
  items: Item[];
}

export type TreeValue = Scalar | Branch | TreeValue[] | Comment;

export interface Item {
  key: string | Comment;
  value: TreeValue;
}

export type Document = Branch[];

export function branch(items: Item[] = []): Branch {
  return { kind: 'branch', items };
}

export function comment(value: string, inline = false): Comment {
  return inline ? { kind: 'comment', value, inline } : { kind: 'comment', value };
}

export function sopsInt(value: bigint | number): SopsInt {
  return { kind: 'int', value: BigInt(value) };
}

export function sopsFloat(value: number): SopsFloat {
  return { kind: 'float', value };
}

export function sopsTime(value: string): SopsTime {
  return { kind: 'time', value };
}

export function isBranch(v: unknown): v is Branch {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !Array.isArray(v) && (v as Branch).kind === 'branch';
}

export function isComment(v: unknown): v is Comment {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !Array.isArray(v) && (v as Comment).kind === 'comment';
}

export function isScalar(v: TreeValue): v is Scalar {
  return !Array.isArray(v) && !isBranch(v) && !isComment(v);
}

/** Looks up a string key in a branch (comments are skipped). */
export function getItem(b: Branch, key: string): Item | undefined {
  return b.items.find((it) => it.key === key);
}

export type ValueType = 'str' | 'int' | 'float' | 'bool' | 'time' | 'comment' | 'bytes';

/** The `type:` tag sops writes for a scalar or comment. */
export function valueType(v: Scalar | Comment): ValueType {
  if (typeof v === 'string' || v instanceof Uint8Array) return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (v === null) throw new TypeError('null has no sops type');
  switch (v.kind) {
    case 'int': return 'int';
    case 'float': return 'float';
    case 'time': return 'time';
    case 'comment': return 'comment';
  }
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * The plaintext bytes sops encrypts and hashes into the MAC for a value: decimal ints, `'f'`-format
 * floats, `True`/`False`, RFC3339Nano times, raw string bytes, comment text without the `#`.
 */
export function plaintextBytes(v: Scalar | Comment): Uint8Array {
  if (v instanceof Uint8Array) return v;
  return utf8.encode(plaintextString(v));
}

/** Like plaintextBytes, but strings stay strings (hash and cipher updates take them as UTF-8). */
export function plaintextData(v: Scalar | Comment): string | Uint8Array {
  return v instanceof Uint8Array ? v : plaintextString(v);
}

export function plaintextString(v: Scalar | Comment): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return utf8Decoder.decode(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null) return '';
  switch (v.kind) {
    case 'int': return v.value.toString();
    case 'float': return formatFloatF(v.value);
    case 'time': return v.value;
    case 'comment': return v.value;
  }
}

/** Shortest round-trip decimal digits and the decimal exponent of |x| (x finite, non-zero). */
function shortestDigits(x: number): { digits: string; exp: number } {
  const [mant, e] = Math.abs(x).toExponential().split('e') as [string, string];
  return { digits: mant.replace('.', ''), exp: Number(e) };
}

/** Go `strconv.FormatFloat(f, 'f', -1, 64)`: shortest round-trip digits, never an exponent. */
export function formatFloatF(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const sign = x < 0 ? '-' : '';
  const { digits, exp } = shortestDigits(x);
  const point = exp + 1; // digits before the decimal point
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** Go `strconv.FormatFloat(f, 'g', -1, 64)`: exponent form when the decimal exponent is < -4 or >= 6. */
export function formatFloatG(x: number): string {
  if (!Number.isFinite(x) || x === 0) return formatFloatF(x);
  const { digits, exp } = shortestDigits(x);
  if (exp < -4 || exp >= 6) return expForm(x, digits, exp, 2);
  return formatFloatF(x);
}

/** Go's `encoding/json` float format: plain decimal inside [1e-6, 1e21), else `1e+21` / `1e-7`. */
export function formatFloatJSON(x: number): string {
  if (!Number.isFinite(x) || x === 0) return formatFloatF(x);
  const abs = Math.abs(x);
  if (abs < 1e-6 || abs >= 1e21) {
    const { digits, exp } = shortestDigits(x);
    return expForm(x, digits, exp, 1);
  }
  return formatFloatF(x);
}

function expForm(x: number, digits: string, exp: number, minExpDigits: number): string {
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const es = String(Math.abs(exp)).padStart(minExpDigits, '0');
  return `${x < 0 ? '-' : ''}${mant}e${exp < 0 ? '-' : '+'}${es}`;
}

/** Parses text the way Go's `strconv.ParseFloat` accepts it (exponents, inf, nan). */
export function parseGoFloat(s: string): number | undefined {
  const t = s.replace(/_/g, '');
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(t)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?0[xX]/.test(t)) {
    const n = Number.parseInt(t, 16);
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Parses like Go `strconv.ParseInt(s, base, 64)`; base 0 accepts 0x/0o/0b and legacy 0-octal. */
export function parseGoInt(s: string, base: 0 | 10 = 10): bigint | undefined {
  let t = s;
  let neg = false;
  if (t.startsWith('+') || t.startsWith('-')) {
    neg = t.startsWith('-');
    t = t.slice(1);
  }
  let value: bigint;
  if (base === 10) {
    if (!/^\d+$/.test(t)) return undefined;
    value = BigInt(t);
  } else if (/^0[xX][0-9a-fA-F]+$/.test(t) || /^0[bB][01]+$/.test(t) || /^0[oO][0-7]+$/.test(t)) {
    value = BigInt(t.toLowerCase());
  } else if (/^0[0-7]+$/.test(t)) {
    value = BigInt(`0o${t.slice(1)}`);
  } else if (/^\d+$/.test(t) && !(t.length > 1 && t.startsWith('0'))) {
    value = BigInt(t);
  } else {
    return undefined;
  }
  if (neg) value = -value;
  if (value < INT64_MIN || value > INT64_MAX) return undefined;
  return value;
}

/** Go `strconv.ParseBool`. */
export function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

// YAML timestamp forms go-yaml v3 resolves: 2006-1-2, 2006-1-2T15:4:5.999999999Z07:00 (T or t or
// spaces), and without a zone (UTC).
const TIMESTAMP_RE =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt]|[ \t]+)(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?[ \t]*(Z|[+-]\d{1,2}(?::?\d{2})?)?)?$/;

/**
 * Normalises a YAML/RFC 3339 timestamp to Go's RFC3339Nano text, or returns undefined if the text
 * is not a timestamp. Dates become midnight UTC.
 */
export function normalizeTimestamp(s: string): string | undefined {
  const m = TIMESTAMP_RE.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', se = '0', frac, zone] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(se) > 60) return undefined;
  const p2 = (v: string | number) => String(v).padStart(2, '0');
  let out = `${y}-${p2(month)}-${p2(day)}T${p2(h)}:${p2(mi)}:${p2(se)}`;
  const f = (frac ?? '').slice(0, 9).replace(/0+$/, '');
  if (f) out += `.${f}`;
  if (!zone || zone === 'Z') return `${out}Z`;
  const zm = /^([+-])(\d{1,2}):?(\d{2})?$/.exec(zone);
  if (!zm) return undefined;
  const [, sign, zh, zmin = '00'] = zm;
  if (Number(zh) === 0 && Number(zmin) === 0) return `${out}Z`;
  return `${out}${sign}${p2(zh!)}:${zmin}`;
}

/** Deep structural equality of two tree values (used by merge and `--idempotent`). */
export function valuesEqual(a: TreeValue, b: TreeValue): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    const x = typeof a === 'string' ? utf8.encode(a) : a;
    const y = typeof b === 'string' ? utf8.encode(b) : b;
    if (!(x instanceof Uint8Array) || !(y instanceof Uint8Array) || x.length !== y.length) return false;
    return x.every((byte, i) => byte === y[i]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => valuesEqual(v, b[i]!));
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a.kind !== b.kind) return false;
  if (isBranch(a) && isBranch(b)) {
    if (a.items.length !== b.items.length) return false;
    return a.items.every((it, i) => {
      const other = b.items[i]!;
      const keysEqual = typeof it.key === 'string' ? it.key === other.key : isComment(other.key) && other.key.value === it.key.value;
      return keysEqual && valuesEqual(it.value, other.value);
    });
  }
  return (a as { value: unknown }).value === (b as { value: unknown }).value;
}

/** Deep copy of a tree value. */
export function cloneValue<T extends TreeValue>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => cloneValue(x)) as T;
  if (isBranch(v)) return branch(v.items.map((it) => ({ key: typeof it.key === 'string' ? it.key : { ...it.key }, value: cloneValue(it.value) }))) as T;
  if (v instanceof Uint8Array) return new Uint8Array(v) as T;
  if (typeof v === 'object' && v !== null) return { ...v } as T;
  return v;
}
