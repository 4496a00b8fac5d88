// Vault password policies (sys/policies/password/:name). A policy is HCL or JSON:
//   length = 20
//   rule "charset" { charset = "abcdefghijklmnopqrstuvwxyz" min-chars = 1 }
// Generation follows Vault: each character is drawn uniformly (crypto.randomInt, which rejects
// instead of reducing modulo) from the de-duplicated union of every rule's charset, and the whole
// candidate is redrawn until every rule's min-chars holds. The result is uniform over all passwords
// that satisfy the policy. A policy whose rules can never (or practically never) be met is refused
// at write time, because sample generation times out.
import { randomInt } from 'node:crypto';
import { InvalidRequestError, NotFoundError } from '../core/errors.js';
import { parseHCL, type HclValue } from '../lib/hcl.js';
import { decodePolicyText } from '../policy/parse.js';
import type { Storage } from '../storage/backend.js';
import { getJSON, putJSON } from '../storage/json.js';

export const MIN_PASSWORD_LENGTH = 4;
export const MAX_PASSWORD_LENGTH = 100;
/** Vault gives generation one second before "timed out generating string". */
export const GENERATE_TIMEOUT_MS = 1000;
/** Longest accepted policy text (it is stored and re-parsed on every generate). */
const MAX_POLICY_TEXT = 64 * 1024;
/** Distinct characters across all charsets. */
const MAX_CHARSET = 4096;

export interface CharsetRule {
  /** The rule's characters (code points), de-duplicated, in first-seen order. */
  charset: string[];
  minChars: number;
}

export interface PasswordPolicy {
  length: number;
  rules: CharsetRule[];
  /** The de-duplicated union of every rule's charset: what characters are drawn from. */
  charset: string[];
}

/** Vault's default generator (used by the database engine when no password_policy is set). */
export const DEFAULT_PASSWORD_POLICY_TEXT = `length = 20
rule "charset" {
  charset = "abcdefghijklmnopqrstuvwxyz"
  min-chars = 1
}
rule "charset" {
  charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
  min-chars = 1
}
rule "charset" {
  charset = "0123456789"
  min-chars = 1
}
rule "charset" {
  charset = "-"
  min-chars = 1
}
`;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function dedupe(chars: Iterable<string>): string[] {
  return [...new Set(chars)];
}

function asInteger(v: unknown, what: string): number {
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) v = Number(v);
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new InvalidRequestError(`${what} must be an integer`);
  return v;
}

function parseRuleBody(body: Record<string, unknown>, index: number): CharsetRule {
  for (const k of Object.keys(body)) {
    if (k !== 'charset' && k !== 'min-chars') throw new InvalidRequestError(`rule ${index + 1}: unknown attribute "${k}" (expected charset, min-chars)`);
  }
  const cs = body['charset'];
  if (typeof cs !== 'string') throw new InvalidRequestError(`rule ${index + 1}: charset must be a string`);
  const charset = dedupe(Array.from(cs));
  if (charset.length === 0) throw new InvalidRequestError(`rule ${index + 1}: charset must not be empty`);
  const minChars = body['min-chars'] === undefined ? 0 : asInteger(body['min-chars'], `rule ${index + 1}: min-chars`);
  if (minChars < 0) throw new InvalidRequestError(`rule ${index + 1}: min-chars must not be negative`);
  return { charset, minChars };
}

/** JSON form: "rule": [{"charset": {...}}] or {"charset": {...} | [{...}]} (HCL1 JSON shapes). */
function rulesFromJSON(rule: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const items = Array.isArray(rule) ? rule : [rule];
  for (const item of items) {
    if (!isPlainObject(item)) throw new InvalidRequestError('rule must be an object like {"charset": {...}}');
    for (const [type, body] of Object.entries(item)) {
      if (type !== 'charset') throw new InvalidRequestError(`unrecognized rule type "${type}"`);
      for (const b of Array.isArray(body) ? body : [body]) {
        if (!isPlainObject(b)) throw new InvalidRequestError('charset rule must be an object');
        out.push(b);
      }
    }
  }
  return out;
}

/**
 * Vault accepts the policy text optionally base64-encoded. Returns the text to parse and store:
 * the decoded form when the input is valid base64 of UTF-8 text (the ACL policy decoder's rule).
 */
export function decodePasswordPolicyText(raw: string): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw new InvalidRequestError('missing policy');
  const text = decodePolicyText(raw);
  return text.includes('\0') ? raw : text;
}

/** Parses and validates a policy (HCL or JSON). Throws InvalidRequestError on anything unusable. */
export function parsePasswordPolicy(text: string): PasswordPolicy {
  if (typeof text !== 'string' || text.trim() === '') throw new InvalidRequestError('missing policy');
  if (text.length > MAX_POLICY_TEXT) throw new InvalidRequestError(`policy is longer than ${MAX_POLICY_TEXT} characters`);
  let length: unknown;
  let ruleBodies: Record<string, unknown>[];
  let extra: string[];
  if (text.trimStart().startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (err) {
      throw new InvalidRequestError(`unable to parse policy: ${(err as Error).message}`);
    }
    if (!isPlainObject(obj)) throw new InvalidRequestError('unable to parse policy: expected an object');
    length = obj['length'];
    ruleBodies = obj['rule'] === undefined ? [] : rulesFromJSON(obj['rule']);
    extra = Object.keys(obj).filter((k) => k !== 'length' && k !== 'rule');
  } else {
    const body = parseHCL(text);
    length = body.attributes['length'];
    extra = Object.keys(body.attributes).filter((k) => k !== 'length');
    ruleBodies = [];
    for (const block of body.blocks) {
      if (block.type !== 'rule') {
        extra.push(block.type);
        continue;
      }
      if (block.labels.length !== 1 || block.labels[0] !== 'charset') {
        throw new InvalidRequestError(`line ${block.line}: unrecognized rule type "${block.labels.join(' ')}" (expected rule "charset")`);
      }
      if (block.body.blocks.length > 0) throw new InvalidRequestError(`line ${block.line}: a charset rule takes no nested blocks`);
      ruleBodies.push(block.body.attributes as Record<string, HclValue>);
    }
  }
  if (extra.length > 0) throw new InvalidRequestError(`unknown policy field "${extra[0]}" (expected length and rule blocks)`);
  if (length === undefined) throw new InvalidRequestError('length is required');
  const len = asInteger(length, 'length');
  if (len < MIN_PASSWORD_LENGTH) throw new InvalidRequestError(`length must be at least ${MIN_PASSWORD_LENGTH}`);
  if (len > MAX_PASSWORD_LENGTH) throw new InvalidRequestError(`length must be at most ${MAX_PASSWORD_LENGTH}`);
  if (ruleBodies.length === 0) throw new InvalidRequestError('at least one charset rule is required');
  const rules = ruleBodies.map(parseRuleBody);
  const required = rules.reduce((n, r) => n + r.minChars, 0);
  if (required > len) throw new InvalidRequestError(`specified rules require at least ${required} characters but length is ${len}`);
  const charset = dedupe(rules.flatMap((r) => r.charset));
  if (charset.length > MAX_CHARSET) throw new InvalidRequestError(`charsets hold more than ${MAX_CHARSET} distinct characters`);
  return { length: len, rules, charset };
}

function satisfies(candidate: string[], rules: CharsetRule[], sets: Set<string>[]): boolean {
  for (let i = 0; i < rules.length; i++) {
    const need = rules[i]!.minChars;
    if (need === 0) continue;
    const set = sets[i]!;
    let n = 0;
    for (const c of candidate) if (set.has(c) && ++n >= need) break;
    if (n < need) return false;
  }
  return true;
}

/**
 * Generates a password. Candidates are drawn uniformly and retried until every rule holds; the
 * event loop gets a turn every few hundred candidates, and after `timeoutMs` it gives up with
 * Vault's "timed out generating string".
 */
export async function generatePassword(policy: PasswordPolicy, opts: { timeoutMs?: number } = {}): Promise<string> {
  const deadline = Date.now() + (opts.timeoutMs ?? GENERATE_TIMEOUT_MS);
  const sets = policy.rules.map((r) => new Set(r.charset));
  const n = policy.charset.length;
  const candidate = new Array<string>(policy.length);
  for (let attempt = 1; ; attempt++) {
    for (let i = 0; i < policy.length; i++) candidate[i] = policy.charset[randomInt(n)]!;
    if (satisfies(candidate, policy.rules, sets)) return candidate.join('');
    if (attempt % 256 === 0) {
      if (Date.now() >= deadline) throw new InvalidRequestError('timed out generating string');
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

const defaultPolicy = parsePasswordPolicy(DEFAULT_PASSWORD_POLICY_TEXT);

/** A password from Vault's default policy (length 20, [a-zA-Z0-9-], one of each class). */
export async function generateDefaultPassword(): Promise<string> {
  return generatePassword(defaultPolicy);
}

const NAME_RE = /^\w(([\w-.]+)?\w)?$/;
const STORAGE_PREFIX = 'password_policy/';
/** Sample passwords generated at write time to prove a policy can be met. */
const WRITE_SAMPLES = 5;

function checkName(name: string): string {
  if (typeof name !== 'string' || !NAME_RE.test(name)) throw new InvalidRequestError(`invalid password policy name "${String(name)}"`);
  return name;
}

/**
 * CRUD over stored policies (Vault stores them at `password_policy/<name>` as `{policy}`).
 * `storage` should be the barrier-backed system view.
 */
export function createPasswordPolicyStore(storage: Storage) {
  return {
    async get(name: string): Promise<{ policy: string } | undefined> {
      return getJSON<{ policy: string }>(storage, STORAGE_PREFIX + checkName(name));
    },
    /** Validates (parse + sample generation) and stores. The text may be base64. Unsatisfiable → InvalidRequestError. */
    async set(name: string, rawPolicy: string): Promise<void> {
      checkName(name);
      const text = decodePasswordPolicyText(rawPolicy);
      const policy = parsePasswordPolicy(text);
      const deadline = Date.now() + GENERATE_TIMEOUT_MS;
      try {
        for (let i = 0; i < WRITE_SAMPLES; i++) await generatePassword(policy, { timeoutMs: Math.max(1, deadline - Date.now()) });
      } catch (err) {
        throw new InvalidRequestError(`unable to generate password from provided policy: ${(err as Error).message}`, { cause: err });
      }
      await putJSON(storage, STORAGE_PREFIX + name, { policy: text });
    },
    async delete(name: string): Promise<void> {
      await storage.delete(STORAGE_PREFIX + checkName(name));
    },
    async list(): Promise<string[]> {
      return (await storage.list(STORAGE_PREFIX)).filter((k) => !k.endsWith('/'));
    },
    /** sys/policies/password/:name/generate. Unknown name → NotFoundError. */
    async generate(name: string): Promise<string> {
      const stored = await getJSON<{ policy: string }>(storage, STORAGE_PREFIX + checkName(name));
      if (!stored) throw new NotFoundError(`policy "${name}" does not exist`);
      return generatePassword(parsePasswordPolicy(stored.policy));
    },
  };
}

export type PasswordPolicyStore = ReturnType<typeof createPasswordPolicyStore>;
