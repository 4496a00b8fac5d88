// Reads rule sets: the built-in TOML file shipped beside this module, and gitleaks-format configs
// (`[[rules]]`, `[allowlist]` / `[[allowlists]]`, `[extend]` with `useDefault`, `path`, `disabledRules`).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, TomlError } from 'smol-toml';
import { CHECKSUM_KINDS, type ChecksumKind } from '../checksum.js';
import { ScanError } from '../errors.js';
import type { AllowlistConfig, RegexTarget, RuleConfig, ScanConfig } from '../types.js';
import { compileRegex } from './regex.js';

const DEFAULT_RULES_FILE = 'default-rules.toml';
const MAX_EXTEND_DEPTH = 2;

/** Where the built-in rules file lives: beside this module (tsx) or in src/ next to dist/ (compiled). */
export function defaultRulesPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, DEFAULT_RULES_FILE), resolve(here, '../../../../src/scan/rules', DEFAULT_RULES_FILE)];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new ScanError('ERR_SCAN_CONFIG', `built-in rules file ${DEFAULT_RULES_FILE} not found`, {
    hints: [`looked in ${candidates.join(' and ')}`],
  });
}

let defaultCache: ScanConfig | undefined;

export function loadDefaultConfig(): ScanConfig {
  if (!defaultCache) {
    const path = defaultRulesPath();
    defaultCache = parseConfig(readFileSync(path, 'utf8'), path, { depth: 0, allowExtend: false });
  }
  return structuredClone(defaultCache);
}

/** Loads a user config file; without `[extend]` it replaces the built-in rules (gitleaks semantics). */
export function loadConfigFile(path: string): ScanConfig {
  return loadFile(resolve(path), 0);
}

function loadFile(path: string, depth: number): ScanConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ScanError('ERR_SCAN_CONFIG', `cannot read config file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseConfig(text, path, { depth, allowExtend: true });
}

interface ParseOptions {
  depth: number;
  allowExtend: boolean;
}

function configError(origin: string, line: number | undefined, message: string, hints: string[] = []): ScanError {
  const where = line === undefined ? origin : `${origin}:${line}`;
  return new ScanError('ERR_SCAN_CONFIG', `${where}: ${message}`, { hints });
}

/** Line of `id = "…"` for each rule id, so errors can point into the file. */
function ruleLines(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*id\s*=\s*["']([^"']+)["']/.exec(lines[i]!);
    if (m && !out.has(m[1]!)) out.set(m[1]!, i + 1);
  }
  return out;
}

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function strings(v: unknown, what: string, fail: (m: string) => ScanError): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw fail(`${what} must be an array of strings`);
  return v as string[];
}

function optString(v: unknown, what: string, fail: (m: string) => ScanError): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw fail(`${what} must be a string`);
  return v;
}

function optNumber(v: unknown, what: string, fail: (m: string) => ScanError): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || Number.isNaN(v)) throw fail(`${what} must be a number`);
  return v;
}

function checkRegex(pattern: string, what: string, fail: (m: string) => ScanError): void {
  try {
    compileRegex(pattern);
  } catch (err) {
    throw fail(`${what} does not compile: ${(err as Error).message}`);
  }
}

function parseAllowlist(raw: unknown, fail: (m: string) => ScanError, global: boolean): AllowlistConfig {
  if (!isTable(raw)) throw fail('an allowlist must be a table');
  const condition = (optString(raw.condition, 'allowlist condition', fail) ?? 'OR').toUpperCase();
  if (condition !== 'OR' && condition !== 'AND') throw fail(`allowlist condition must be "OR" or "AND", not "${condition}"`);
  const regexTarget = (optString(raw.regexTarget, 'allowlist regexTarget', fail) ?? 'secret') as RegexTarget;
  if (!['secret', 'match', 'line'].includes(regexTarget)) throw fail(`allowlist regexTarget must be secret, match or line`);
  const a: AllowlistConfig = {
    condition,
    paths: strings(raw.paths, 'allowlist paths', fail),
    regexes: strings(raw.regexes, 'allowlist regexes', fail),
    regexTarget,
    stopwords: strings(raw.stopwords, 'allowlist stopwords', fail).map((s) => s.toLowerCase()),
    commits: strings(raw.commits, 'allowlist commits', fail),
  };
  const description = optString(raw.description, 'allowlist description', fail);
  if (description !== undefined) a.description = description;
  if (global && raw.targetRules !== undefined) a.targetRules = strings(raw.targetRules, 'allowlist targetRules', fail);
  for (const r of [...a.paths, ...a.regexes]) checkRegex(r, `allowlist regex ${JSON.stringify(r)}`, fail);
  return a;
}

function parseRule(raw: unknown, index: number, origin: string, lines: Map<string, number>): RuleConfig {
  const idGuess = isTable(raw) && typeof raw.id === 'string' ? raw.id : undefined;
  const line = idGuess === undefined ? undefined : lines.get(idGuess);
  const fail = (m: string) => configError(origin, line, idGuess === undefined ? `rule #${index + 1}: ${m}` : `rule "${idGuess}": ${m}`);
  if (!isTable(raw)) throw fail('each [[rules]] entry must be a table');
  const id = optString(raw.id, 'id', fail);
  if (!id) throw fail('missing "id"');
  const regex = optString(raw.regex, 'regex', fail);
  const path = optString(raw.path, 'path', fail);
  if (regex !== undefined) checkRegex(regex, 'regex', fail);
  if (path !== undefined) checkRegex(path, 'path', fail);
  const gate = optString(raw.gate, 'gate', fail);
  if (gate !== undefined) checkRegex(gate, 'gate', fail);
  const checksum = optString(raw.checksum, 'checksum', fail);
  if (checksum !== undefined && !CHECKSUM_KINDS.includes(checksum as ChecksumKind)) {
    throw fail(`unknown checksum "${checksum}" (known: ${CHECKSUM_KINDS.join(', ')})`);
  }
  const rule: RuleConfig = {
    id,
    description: optString(raw.description, 'description', fail) ?? id,
    keywords: strings(raw.keywords, 'keywords', fail).map((k) => k.toLowerCase()),
    tags: strings(raw.tags, 'tags', fail),
    allowlists: [],
    origin: line === undefined ? origin : `${origin}:${line}`,
  };
  if (rule.keywords.some((k) => /[^\x20-\x7e]/.test(k))) throw fail('keywords must be printable ASCII');
  if (regex !== undefined) rule.regex = regex;
  if (path !== undefined) rule.path = path;
  if (gate !== undefined) rule.gate = gate;
  if (checksum !== undefined) rule.checksum = checksum as ChecksumKind;
  const secretGroup = optNumber(raw.secretGroup, 'secretGroup', fail);
  if (secretGroup !== undefined) rule.secretGroup = secretGroup;
  const entropy = optNumber(raw.entropy, 'entropy', fail);
  if (entropy !== undefined) rule.entropy = entropy;
  const window = optNumber(raw.window, 'window', fail);
  if (window !== undefined) rule.window = window;
  const minLength = optNumber(raw.minLength, 'minLength', fail);
  if (minLength !== undefined) rule.minLength = minLength;
  const example = optString(raw.example, 'example', fail);
  if (example !== undefined) rule.example = example;
  if (raw.generic === true) rule.generic = true;
  if (raw.skipReport === true) rule.skipReport = true;
  // gitleaks: [rules.allowlist] (old) and [[rules.allowlists]] (new); our shorthand `stopwords`.
  if (raw.allowlist !== undefined) rule.allowlists.push(parseAllowlist(raw.allowlist, fail, false));
  if (raw.allowlists !== undefined) {
    if (!Array.isArray(raw.allowlists)) throw fail('allowlists must be an array of tables');
    for (const a of raw.allowlists) rule.allowlists.push(parseAllowlist(a, fail, false));
  }
  const stopwords = strings(raw.stopwords, 'stopwords', fail);
  if (stopwords.length > 0) {
    rule.allowlists.push({ condition: 'OR', paths: [], regexes: [], regexTarget: 'secret', stopwords: stopwords.map((s) => s.toLowerCase()), commits: [] });
  }
  if (raw.required !== undefined) {
    if (!Array.isArray(raw.required)) throw fail('required must be an array of tables');
    rule.required = raw.required.map((r) => {
      if (!isTable(r) || typeof r.id !== 'string') throw fail('each required entry needs an "id"');
      const within = optNumber(r.withinLines, 'required.withinLines', fail);
      return within === undefined ? { id: r.id } : { id: r.id, withinLines: within };
    });
  }
  return rule;
}

/** Parses one config document. `[extend]` is resolved relative to the file's directory. */
export function parseConfig(text: string, origin: string, options: ParseOptions = { depth: 0, allowExtend: true }): ScanConfig {
  let doc: Table;
  try {
    doc = parse(text) as Table;
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.split('\n')[0] ?? 'invalid TOML';
      throw configError(origin, err.line, `${first} (column ${err.column})`, ['the rules file is TOML; check quoting of regexes (use \'\'\'…\'\'\' literal strings)']);
    }
    throw err;
  }
  const lines = ruleLines(text);
  const failTop = (m: string) => configError(origin, undefined, m);
  const rulesRaw = doc.rules ?? [];
  if (!Array.isArray(rulesRaw)) throw failTop('"rules" must be an array of tables ([[rules]])');
  const rules = rulesRaw.map((r, i) => parseRule(r, i, origin, lines));
  const allowlists: AllowlistConfig[] = [];
  if (doc.allowlist !== undefined) allowlists.push(parseAllowlist(doc.allowlist, failTop, true));
  if (doc.allowlists !== undefined) {
    if (!Array.isArray(doc.allowlists)) throw failTop('"allowlists" must be an array of tables ([[allowlists]])');
    for (const a of doc.allowlists) allowlists.push(parseAllowlist(a, failTop, true));
  }
  const seen = new Set<string>();
  for (const r of rules) {
    if (seen.has(r.id)) throw configError(origin, lines.get(r.id), `rule id "${r.id}" is defined twice`);
    seen.add(r.id);
  }
  const own: ScanConfig = { rules, allowlists, origins: [origin], warnings: [] };
  if (typeof doc.title === 'string') own.title = doc.title;

  const extend = doc.extend;
  if (extend === undefined) {
    if (options.allowExtend && options.depth === 0) {
      own.warnings.push(`${origin} has no [extend] section, so the built-in rules are not used (add [extend] useDefault = true to keep them)`);
    }
    return complete(own);
  }
  if (!options.allowExtend) throw failTop('[extend] is not allowed here');
  if (!isTable(extend)) throw failTop('[extend] must be a table');
  if (options.depth >= MAX_EXTEND_DEPTH) throw failTop(`[extend] chains deeper than ${MAX_EXTEND_DEPTH} levels`);
  const useDefault = extend.useDefault === true;
  const extPath = optString(extend.path, 'extend.path', failTop);
  if (useDefault && extPath !== undefined) throw failTop('[extend] takes useDefault or path, not both');
  const disabled = new Set(strings(extend.disabledRules, 'extend.disabledRules', failTop));
  let base: ScanConfig;
  if (useDefault) base = loadDefaultConfig();
  else if (extPath !== undefined) base = loadFile(resolve(dirname(origin), extPath), options.depth + 1);
  else return complete(own);
  return complete(mergeConfigs(base, own, disabled));
}

/** After [extend] is resolved every rule must be able to match something. */
function complete(config: ScanConfig): ScanConfig {
  for (const r of config.rules) {
    if (r.regex === undefined && r.path === undefined) {
      throw new ScanError('ERR_SCAN_CONFIG', `${r.origin ?? 'config'}: rule "${r.id}": needs a "regex", a "path" or both`);
    }
  }
  return config;
}

/** Rules of `top` override base rules with the same id attribute by attribute; allowlists append. */
export function mergeConfigs(base: ScanConfig, top: ScanConfig, disabled: Set<string> = new Set()): ScanConfig {
  const byId = new Map(base.rules.map((r) => [r.id, r]));
  const order = base.rules.map((r) => r.id);
  for (const r of top.rules) {
    const prev = byId.get(r.id);
    if (prev) {
      const merged: RuleConfig = { ...prev, ...definedOnly(r) };
      // A gate is a promise about the regex and keywords it was written for: drop an inherited one
      // when either is overridden.
      if (r.gate === undefined && (r.regex !== undefined || r.keywords.length > 0)) delete merged.gate;
      merged.keywords = r.keywords.length > 0 ? r.keywords : prev.keywords;
      merged.tags = r.tags.length > 0 ? r.tags : prev.tags;
      merged.allowlists = [...prev.allowlists, ...r.allowlists];
      byId.set(r.id, merged);
    } else {
      byId.set(r.id, r);
      order.push(r.id);
    }
  }
  const merged: ScanConfig = {
    rules: order.filter((id) => !disabled.has(id)).map((id) => byId.get(id)!),
    allowlists: [...base.allowlists, ...top.allowlists],
    origins: [...base.origins, ...top.origins],
    warnings: [...base.warnings, ...top.warnings],
  };
  const title = top.title ?? base.title;
  if (title !== undefined) merged.title = title;
  return merged;
}

function definedOnly(r: RuleConfig): Partial<RuleConfig> {
  const out: Partial<RuleConfig> = {};
  for (const [k, v] of Object.entries(r)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
