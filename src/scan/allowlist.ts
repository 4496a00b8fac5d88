// Suppression: configured allowlists (paths, regexes, stopwords, commits; OR/AND), inline
// `coffer:allow` markers, and the built-in placeholder and code-reference filters that keep example
// values (`changeme`, `xxxx`, `${VAR}`, `<password>`) and variable names from being reported.
import type { AllowlistConfig, RegexTarget } from './types.js';
import { compileRegex } from './rules/regex.js';

export const INLINE_ALLOW_MARKERS = ['coffer:allow', 'gitleaks:allow'] as const;

export function hasInlineAllow(line: string): boolean {
  for (const m of INLINE_ALLOW_MARKERS) if (line.includes(m)) return true;
  return false;
}

export interface AllowContext {
  ruleId: string;
  path: string;
  secret: string;
  match: string;
  line: string;
  commit?: string;
}

export interface Allowlist {
  /** True when this allowlist suppresses the candidate. */
  allows(ctx: AllowContext): boolean;
  /** True when the path alone (no other condition) suppresses every finding in the file, for every rule. */
  allowsWholePath(path: string): boolean;
}

export function createAllowlist(config: AllowlistConfig): Allowlist {
  const paths = config.paths.map((p) => compileRegex(p));
  const regexes = config.regexes.map((r) => compileRegex(r));
  const stopwords = config.stopwords;
  const commits = new Set(config.commits);
  const targets = config.targetRules ? new Set(config.targetRules) : undefined;
  const target: RegexTarget = config.regexTarget;
  const isAnd = config.condition === 'AND';
  const pathOnly = !isAnd && targets === undefined && paths.length > 0;

  function checks(ctx: AllowContext): boolean[] {
    const out: boolean[] = [];
    if (commits.size > 0) out.push(ctx.commit !== undefined && commits.has(ctx.commit));
    if (paths.length > 0) out.push(paths.some((p) => p.test(ctx.path)));
    if (regexes.length > 0) {
      const subject = target === 'secret' ? ctx.secret : target === 'match' ? ctx.match : ctx.line;
      out.push(regexes.some((r) => r.test(subject)));
    }
    if (stopwords.length > 0) {
      const s = ctx.secret.toLowerCase();
      out.push(stopwords.some((w) => s.includes(w)));
    }
    return out;
  }

  return {
    allows(ctx) {
      if (targets && !targets.has(ctx.ruleId)) return false;
      const c = checks(ctx);
      if (c.length === 0) return false;
      return isAnd ? c.every(Boolean) : c.some(Boolean);
    },
    allowsWholePath(path) {
      return pathOnly && paths.some((p) => p.test(path));
    },
  };
}

// ---- built-in filters -------------------------------------------------------------------------

const PLACEHOLDER_WORDS = [
  'changeme', 'change_me', 'change-me', 'xxxx', 'example', 'placeholder', 'dummy', 'redacted', 'replace_me', 'replaceme',
  'your_', 'your-', 'yourpassword', 'yoursecret', 'yourtoken', 'insert_', 'enter_', 'put_your', 'fixme', 'todo', '****',
  '••••', '....', 'notreal', 'not_real', 'not-a-real', 'sample_', 'fake_', 'fake-', '_fake', 'mysecret', 'mypassword',
  'secretvalue', 'password123', 'passw0rd', 'p@ssw0rd', 'letmein', 'hunter2', 'qwerty', 'abcdefgh', '01234567', '12345678',
];

const TEMPLATE_RES = [
  /\$\{[^}]*\}/, // ${VAR}
  /^\$[A-Za-z_][A-Za-z0-9_]*$/, // $VAR
  /\{\{[^}]*\}\}/, // {{ var }}
  /^<[^<>]+>$/, // <password>
  /^%[A-Za-z_][A-Za-z0-9_]*%$/, // %VAR%
  /^@[A-Za-z_][A-Za-z0-9_]*@$/, // @VAR@
  /%\(?\w*\)?[sd]\b/, // printf verbs
  /^\[[^\]]*\]$/, // [value]
];

/** Example values, template references and long runs of one character. */
const PLACEHOLDER_RE = new RegExp(PLACEHOLDER_WORDS.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'i');

export function isPlaceholder(secret: string): boolean {
  if (PLACEHOLDER_RE.test(secret)) return true;
  for (const re of TEMPLATE_RES) if (re.test(secret)) return true;
  if (/(.)\1{7,}/.test(secret)) return true;
  return false;
}

/** For shapeless values (generic assignments): variable references, code, paths, words, numbers. */
export function looksLikeNonSecretValue(value: string): boolean {
  if (/^[$@%&*!]/.test(value)) return true; // $var, @var, %var, !Ref …
  if (/[()]/.test(value)) return true; // a call
  // settings.SECRET_KEY, this.apiKey2 (a digit inside a segment suggests a random value instead)
  if (/^[A-Za-z_][\w]*(?:(?:\.|::|->)[A-Za-z_][\w]*)+$/.test(value) && !/\d[A-Za-z]/.test(value)) return true;
  if (/^[A-Za-z_.\-]+$/.test(value)) return true; // words, identifiers, kebab-case names
  if (/^[0-9_.\-:]+$/.test(value)) return true; // numbers, versions, times
  if (/^(?:\.{0,2}\/|~\/|[A-Za-z]:\\)/.test(value)) return true; // paths
  if (/^[\w.-]+\/[\w./-]+$/.test(value) && !/\d/.test(value.slice(-8))) return true; // relative paths
  if (/^(?:https?|ftp|file):\/\/[^@]*$/i.test(value)) return true; // URLs without credentials
  if (/^[A-Za-z]+\d{1,4}$/.test(value)) return true; // word + small number (user1, test2024)
  // names made of words and small numbers: user-service-v2, order_items_2024, cache.ttl.300
  if (value.split(/[-_.:/]+/).every((seg) => seg === '' || /^[A-Za-z]+$/.test(seg) || /^v?\d{1,6}$/i.test(seg))) return true;
  if (/^(?:[A-Z][a-z]+){2,}\d{0,4}$/.test(value)) return true; // CamelCaseWords
  if (/^[a-z]+(?:[A-Z][a-z]+)+\d{0,4}$/.test(value)) return true; // camelCaseWords
  return false;
}
