// Parses an ACL policy (spec §5.1) from its HCL or JSON text into a list of validated path rules.
// Both forms go through one validator, so they accept exactly the same things. Every problem is an
// InvalidRequestError (400) whose message starts "failed to parse policy: ", as Vault's does.
import { InvalidRequestError } from '../core/errors.js';
import { parseDurationSeconds } from '../lib/duration.js';
import { HclSyntaxError, hclBodyToObject, parseHCL } from '../lib/hcl.js';
import type { HclBody } from '../lib/hcl.js';
import { isTemplated, templateError } from './template.js';

/** Capabilities a rule may list. subscribe/recover (Vault) and scan (OpenBao) are accepted so
 * policies written for those servers load; Coffer has no operation they gate. */
export const CAPABILITIES = ['create', 'read', 'update', 'patch', 'delete', 'list', 'sudo', 'deny', 'subscribe', 'recover', 'scan'] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** Legacy `policy = "…"` values and the capabilities each one grants. */
const LEGACY_POLICY: Record<string, Capability[]> = {
  deny: ['deny'],
  read: ['read', 'list'],
  write: ['create', 'read', 'update', 'delete', 'list'],
  sudo: ['create', 'read', 'update', 'delete', 'list', 'sudo'],
};

const RULE_KEYS = new Set([
  'comment', 'policy', 'capabilities', 'allowed_parameters', 'denied_parameters', 'required_parameters',
  'min_wrapping_ttl', 'max_wrapping_ttl', 'mfa_methods', 'control_group', 'expiration',
]);

/** Largest policy text accepted (bytes of UTF-16 text, i.e. characters). */
export const MAX_POLICY_LENGTH = 1024 * 1024;
/** Deepest JSON nesting accepted in a JSON-form policy. */
const MAX_JSON_DEPTH = 64;

export interface PathRule {
  /** The pattern as written, without a leading '/'; may end in '*' and contain '+' or templates. */
  pattern: string;
  /** Sorted, de-duplicated; exactly ['deny'] when the rule denies. */
  capabilities: Capability[];
  /** Parameter name (lower-cased) → allowed values; [] means any value. */
  allowedParameters?: Record<string, unknown[]>;
  deniedParameters?: Record<string, unknown[]>;
  requiredParameters?: string[];
  /** Seconds; 0 when unset. */
  minWrappingTTL: number;
  maxWrappingTTL: number;
  /** Epoch milliseconds after which the rule no longer applies (OpenBao `expiration`). */
  expiresAt?: number;
  /** The pattern holds `{{…}}` placeholders, resolved per token. */
  templated: boolean;
}

export interface Policy {
  name: string;
  /** The original text, as stored. */
  text: string;
  rules: PathRule[];
  templated: boolean;
}

function fail(message: string, cause?: unknown): never {
  throw new InvalidRequestError(`failed to parse policy: ${message}`, cause === undefined ? undefined : { cause });
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  return typeof v === 'object' ? 'object' : typeof v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function own(obj: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** Where a key came from, for messages: " on line N" for HCL, "" for JSON. */
type LineOf = (key: string) => string;

function jsonDepthExceeds(root: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d > limit) return true;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return false;
}

function parseParameterMap(where: string, key: string, raw: unknown): Record<string, unknown[]> {
  // HCL1 also lets the block form appear more than once; hclBodyToObject turns that into a list.
  const maps = Array.isArray(raw) && raw.every(isObject) && raw.length > 0 ? raw : [raw];
  const out: Record<string, unknown[]> = {};
  for (const m of maps) {
    if (!isObject(m)) fail(`${where}: "${key}" must be a map of parameter names to lists of values, got ${typeName(m)}`);
    for (const [param, values] of Object.entries(m)) {
      if (!Array.isArray(values)) fail(`${where}: "${key}": the value for parameter "${param}" must be a list, got ${typeName(values)}`);
      const name = param.toLowerCase();
      const prev = own(out, name) ? out[name]! : undefined;
      const merged = prev === undefined ? [...values] : prev.length === 0 || values.length === 0 ? [] : [...prev, ...values];
      Object.defineProperty(out, name, { value: merged, enumerable: true, writable: true, configurable: true });
    }
  }
  return out;
}

function parseStringList(where: string, key: string, raw: unknown): string[] {
  if (!Array.isArray(raw)) fail(`${where}: "${key}" must be a list of strings, got ${typeName(raw)}`);
  for (const v of raw) if (typeof v !== 'string') fail(`${where}: "${key}" must be a list of strings, found ${typeName(v)}`);
  return raw as string[];
}

function parseTTL(where: string, key: string, raw: unknown): number {
  try {
    return parseDurationSeconds(raw, key);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return fail(`${where}: ${msg}`);
  }
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function parseRule(rawPattern: string, raw: unknown, lineOf: LineOf): PathRule {
  const pattern = rawPattern.startsWith('/') ? rawPattern.slice(1) : rawPattern;
  const where = `path ${JSON.stringify(rawPattern)}`;
  if (!isObject(raw)) fail(`${where}: expected an object of settings, got ${typeName(raw)}`);
  for (const key of Object.keys(raw)) {
    if (!RULE_KEYS.has(key)) fail(`${where}: invalid key ${JSON.stringify(key)}${lineOf(key)}`);
  }
  if (pattern.includes('+*')) fail(`${where}: invalid use of wildcards ('+*' is forbidden)`);
  const templated = isTemplated(pattern);
  if (templated) {
    const problem = templateError(pattern);
    if (problem !== undefined) fail(`${where}: ${problem}`);
  }

  const caps = new Set<Capability>();
  if (own(raw, 'policy')) {
    const legacy = raw.policy;
    if (typeof legacy !== 'string' || !own(LEGACY_POLICY, legacy)) fail(`${where}: invalid policy ${JSON.stringify(legacy)} (expected "deny", "read", "write" or "sudo")`);
    for (const c of LEGACY_POLICY[legacy]!) caps.add(c);
  }
  if (own(raw, 'capabilities')) {
    for (const c of parseStringList(where, 'capabilities', raw.capabilities)) {
      if (!(CAPABILITIES as readonly string[]).includes(c)) fail(`${where}: invalid capability ${JSON.stringify(c)}`);
      caps.add(c as Capability);
    }
  }
  if (own(raw, 'comment') && typeof raw.comment !== 'string') fail(`${where}: "comment" must be a string`);
  if (own(raw, 'mfa_methods')) parseStringList(where, 'mfa_methods', raw.mfa_methods);
  if (own(raw, 'control_group') && !isObject(raw.control_group) && !Array.isArray(raw.control_group)) fail(`${where}: "control_group" must be an object`);

  const rule: PathRule = { pattern, capabilities: [], minWrappingTTL: 0, maxWrappingTTL: 0, templated };
  if (own(raw, 'allowed_parameters')) rule.allowedParameters = parseParameterMap(where, 'allowed_parameters', raw.allowed_parameters);
  if (own(raw, 'denied_parameters')) rule.deniedParameters = parseParameterMap(where, 'denied_parameters', raw.denied_parameters);
  if (own(raw, 'required_parameters')) rule.requiredParameters = [...new Set(parseStringList(where, 'required_parameters', raw.required_parameters))];
  if (own(raw, 'min_wrapping_ttl')) rule.minWrappingTTL = parseTTL(where, 'min_wrapping_ttl', raw.min_wrapping_ttl);
  if (own(raw, 'max_wrapping_ttl')) rule.maxWrappingTTL = parseTTL(where, 'max_wrapping_ttl', raw.max_wrapping_ttl);
  if (rule.minWrappingTTL > 0 && rule.maxWrappingTTL > 0 && rule.maxWrappingTTL < rule.minWrappingTTL) {
    fail(`${where}: max_wrapping_ttl cannot be less than min_wrapping_ttl`);
  }
  if (own(raw, 'expiration')) {
    const e = raw.expiration;
    const ms = typeof e === 'string' && RFC3339.test(e) ? Date.parse(e) : Number.NaN;
    if (Number.isNaN(ms)) fail(`${where}: "expiration" must be an RFC 3339 timestamp`);
    rule.expiresAt = ms;
  }

  if (caps.has('deny')) {
    // deny discards every other capability and the parameter constraints of the rule.
    rule.capabilities = ['deny'];
    delete rule.allowedParameters;
    delete rule.deniedParameters;
  } else {
    rule.capabilities = [...caps].sort();
  }
  return rule;
}

function rulesFromPathValue(value: unknown, lineOf: LineOf): PathRule[] {
  // JSON form: {"path": {"<pattern>": {…}}}; HCL1's JSON also allows a list of such objects.
  const groups = Array.isArray(value) ? value : [value];
  const rules: PathRule[] = [];
  for (const g of groups) {
    if (!isObject(g)) fail(`"path" must be an object of patterns to rules, got ${typeName(g)}`);
    for (const [pattern, raw] of Object.entries(g)) {
      for (const r of Array.isArray(raw) ? raw : [raw]) rules.push(parseRule(pattern, r, lineOf));
    }
  }
  return rules;
}

function checkTopLevel(keys: string[], lineOf: LineOf, obj: Record<string, unknown>): void {
  for (const key of keys) {
    if (key !== 'name' && key !== 'path') fail(`invalid key ${JSON.stringify(key)}${lineOf(key)}`);
  }
  if (own(obj, 'name') && typeof obj.name !== 'string') fail('"name" must be a string');
}

function rulesFromJSON(text: string): PathRule[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return fail(`invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isObject(doc)) fail(`a JSON policy must be an object, got ${typeName(doc)}`);
  if (jsonDepthExceeds(doc, MAX_JSON_DEPTH)) fail(`JSON nesting deeper than ${MAX_JSON_DEPTH} levels`);
  const noLine: LineOf = () => '';
  checkTopLevel(Object.keys(doc), noLine, doc);
  return own(doc, 'path') ? rulesFromPathValue(doc.path, noLine) : [];
}

function linesOf(body: HclBody): LineOf {
  return (key) => {
    const attr = body.attributeLines[key];
    const line = attr ?? body.blocks.find((b) => b.type === key)?.line;
    return line === undefined ? '' : ` on line ${line}`;
  };
}

function rulesFromHCL(text: string): PathRule[] {
  let body: HclBody;
  let top: Record<string, unknown>;
  try {
    body = parseHCL(text);
    top = { ...body.attributes };
    for (const b of body.blocks) if (b.type !== 'path') top[b.type] = true;
  } catch (err) {
    if (err instanceof HclSyntaxError) fail(err.message, err);
    throw err;
  }
  const topLines = linesOf(body);
  checkTopLevel(Object.keys(top), topLines, top);
  const rules: PathRule[] = [];
  if (own(body.attributes, 'path')) rules.push(...rulesFromPathValue(body.attributes.path, topLines));
  for (const block of body.blocks) {
    if (block.labels.length !== 1) fail(`path block on line ${block.line} must have exactly one pattern, e.g. path "secret/*" { … }`);
    let raw: Record<string, unknown>;
    try {
      raw = hclBodyToObject(block.body);
    } catch (err) {
      if (err instanceof HclSyntaxError) fail(err.message, err);
      throw err;
    }
    rules.push(parseRule(block.labels[0]!, raw, linesOf(block.body)));
  }
  return rules;
}

/** Parses policy text (HCL or JSON). Throws InvalidRequestError("failed to parse policy: …"). */
export function parsePolicy(name: string, text: string): Policy {
  if (typeof text !== 'string') fail('policy text must be a string');
  if (text.length > MAX_POLICY_LENGTH) fail(`policy is larger than ${MAX_POLICY_LENGTH} bytes`);
  const trimmed = text.replace(/^\ufeff/, '').trimStart();
  const rules = trimmed.startsWith('{') ? rulesFromJSON(trimmed) : rulesFromHCL(text);
  return { name, text, rules, templated: rules.some((r) => r.templated) };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Vault accepts the policy body base64-encoded: if the whole (trimmed) text is valid standard
 * base64 of UTF-8 text, the decoded text is the policy. Plain policy text is never valid base64
 * (it has spaces, quotes or braces), so this is unambiguous in practice.
 */
export function decodePolicyText(raw: string): string {
  const s = raw.trim();
  if (s.length === 0 || s.length % 4 !== 0 || !BASE64.test(s)) return raw;
  const bytes = Buffer.from(s, 'base64');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return raw;
  }
}
