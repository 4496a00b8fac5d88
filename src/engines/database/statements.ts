// SQL statement lists as clients send them, and the {{name}}-style substitutions run inside them.
// A statement field accepts a JSON array of strings, a single string of `;`-separated statements,
// base64 of either, or a string holding a JSON array. Array elements are kept whole (a `DO $$ … $$`
// block may contain semicolons); strings are split on `;`.
import { InvalidRequestError } from '../../core/errors.js';

const MAX_STATEMENTS = 200;
const MAX_STATEMENT_BYTES = 64 * 1024;

function looksBase64(s: string): boolean {
  return s.length >= 4 && s.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(s);
}

function decodeBase64Text(s: string): string | undefined {
  if (!looksBase64(s)) return undefined;
  const buf = Buffer.from(s, 'base64');
  const text = new TextDecoder('utf-8', { fatal: false }).decode(buf);
  // Only accept decodings that are printable text (a SQL statement), never binary noise.
  if (text.includes('\uFFFD') || /[\x00-\x08\x0E-\x1F]/.test(text)) return undefined;
  return text;
}

function splitStatements(s: string): string[] {
  return s.split(';').map((x) => x.trim()).filter((x) => x !== '');
}

function fromString(s: string, field: string): string[] {
  const text = decodeBase64Text(s.trim()) ?? s;
  const t = text.trim();
  if (t.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(t);
      if (Array.isArray(parsed)) return fromArray(parsed, field);
    } catch { /* not JSON: treat as SQL */ }
  }
  return splitStatements(text);
}

function fromArray(a: unknown[], field: string): string[] {
  const out: string[] = [];
  for (const x of a) {
    if (typeof x !== 'string') throw new InvalidRequestError(`invalid ${field}: expected a list of strings`);
    const t = x.trim();
    if (t === '') continue;
    // An element may itself be base64 of a statement (clients that encode each entry).
    const decoded = decodeBase64Text(t);
    out.push(decoded !== undefined ? decoded.trim() : t);
  }
  return out;
}

/** Coerces a statement field; null/undefined = not set (empty list). */
export function parseStatements(raw: unknown, field: string): string[] {
  if (raw === undefined || raw === null) return [];
  let out: string[];
  if (Array.isArray(raw)) out = fromArray(raw, field);
  else if (typeof raw === 'string') out = fromString(raw, field);
  else throw new InvalidRequestError(`invalid ${field}: expected a string or a list of strings`);
  out = out.filter((s) => s !== '');
  if (out.length > MAX_STATEMENTS) throw new InvalidRequestError(`invalid ${field}: more than ${MAX_STATEMENTS} statements`);
  for (const s of out) {
    if (Buffer.byteLength(s) > MAX_STATEMENT_BYTES) throw new InvalidRequestError(`invalid ${field}: a statement is longer than ${MAX_STATEMENT_BYTES} bytes`);
  }
  return out;
}

/** Replaces `{{key}}` (spaces inside the braces allowed) with the given values; other text is left alone. */
export function renderStatement(stmt: string, values: Record<string, string>): string {
  return stmt.replace(/\{\{\s*([A-Za-z_]+)\s*\}\}/g, (m, key: string) => (Object.hasOwn(values, key) ? values[key]! : m));
}

/** PostgreSQL's `{{expiration}}` format: Go layout `2006-01-02 15:04:05-0700`, in UTC. */
export function formatExpiration(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}+0000`;
}

/** Vault-style glob: `*` matches any run of characters; everything else is literal. */
export function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
  return re.test(s);
}

/** Whether `role` may use a connection with these allowed_roles ([] = none, "*" = any). */
export function roleAllowed(allowed: string[], role: string): boolean {
  return allowed.some((p) => p === '*' || globMatch(p, role));
}

/** Removes every non-empty secret (and its URL-encoded form) from a message. */
export function scrub(message: string, secrets: Array<string | undefined>): string {
  let out = message;
  const all = new Set<string>();
  for (const s of secrets) {
    if (!s || s.length < 3) continue;
    all.add(s);
    all.add(encodeURIComponent(s));
  }
  for (const s of [...all].sort((a, b) => b.length - a.length)) out = out.split(s).join('[redacted]');
  return out;
}
