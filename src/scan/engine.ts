// The detection engine: one keyword pass over a fragment, then each triggered rule's regex over the
// lines around its keyword hits, then checks (entropy, checksum, placeholders, allowlists).
import { createHash } from 'node:crypto';
import { hasInlineAllow, isPlaceholder, looksLikeNonSecretValue, createAllowlist, type Allowlist } from './allowlist.js';
import { runChecksum, type ChecksumKind } from './checksum.js';
import { charClassCount, shannonEntropy } from './entropy.js';
import { createKeywordMatcher } from './prefilter.js';
import { compileRegex } from './rules/regex.js';
import type { Finding, Fragment, RequiredRule, RuleConfig, ScanConfig } from './types.js';

/** How far past the hit's line a window may reach on very long (minified) lines. */
const LINE_CAP = 2048;
const LINE_TEXT_MAX = 400;
const DEFAULT_MIN_LENGTH = 8;

interface CompiledRule {
  index: number;
  id: string;
  description: string;
  re?: RegExp;
  /** Sticky regex tested right after each keyword hit; a hit that fails it opens no window. */
  gate?: RegExp;
  /** The same test in plain code, for the gate most rules use (see ASSIGNMENT_GATE). */
  gateFn?: (text: string, at: number) => boolean;
  pathRe?: RegExp;
  secretGroup?: number;
  entropy?: number;
  checksum?: ChecksumKind;
  window: number;
  allowlists: Allowlist[];
  tags: string[];
  generic: boolean;
  minLength: number;
  skipReport: boolean;
  required?: RequiredRule[];
  hasKeywords: boolean;
}

export interface Scanner {
  readonly ruleCount: number;
  readonly ruleIds: readonly string[];
  /** Findings in one fragment, after every filter except the baseline. */
  scanFragment(fragment: Fragment): Finding[];
  /** Findings of path-only rules (e.g. a committed .p12 keystore) for one file path. */
  scanPath(path: string, commit?: Fragment['commit']): Finding[];
  /** True when a global allowlist excludes the whole path (no need to read the file). */
  isPathAllowed(path: string): boolean;
  /** Rule descriptions, for reports. */
  describeRules(): { id: string; description: string; tags: string[] }[];
}

export function fingerprintOf(ruleId: string, file: string, secret: string): string {
  return createHash('sha256').update(ruleId).update('\0').update(file).update('\0').update(secret).digest('hex').slice(0, 32);
}

function compileRule(rule: RuleConfig, index: number): CompiledRule {
  const c: CompiledRule = {
    index,
    id: rule.id,
    description: rule.description,
    window: rule.window ?? 0,
    allowlists: rule.allowlists.map(createAllowlist),
    tags: rule.tags,
    generic: rule.generic === true,
    minLength: rule.minLength ?? (rule.generic ? DEFAULT_MIN_LENGTH : 1),
    skipReport: rule.skipReport === true,
    hasKeywords: rule.keywords.length > 0,
  };
  if (rule.regex !== undefined) c.re = compileRegex(rule.regex, 'g');
  if (rule.gate !== undefined && c.re !== undefined) {
    if (rule.gate === ASSIGNMENT_GATE) c.gateFn = assignmentFollows;
    else c.gate = compileRegex(rule.gate, 'y');
  }
  if (rule.path !== undefined) c.pathRe = compileRegex(rule.path);
  if (rule.secretGroup !== undefined) c.secretGroup = rule.secretGroup;
  if (rule.entropy !== undefined) c.entropy = rule.entropy;
  if (rule.checksum !== undefined) c.checksum = rule.checksum;
  if (rule.required !== undefined) c.required = rule.required;
  return c;
}

/**
 * The gate of the generic assignment rules: an identifier tail, an optional closing quote, a little
 * space, then `:` or `=`. It is tested at millions of keyword hits in keyword-dense code, so it is
 * also written out as code (assignmentFollows, equivalent: the character sets of consecutive parts
 * are disjoint, so greedy matching needs no backtracking).
 */
export const ASSIGNMENT_GATE = String.raw`[\w\-]{0,20}['"]?\s{0,3}[:=]`;

/** Characters matched by `\s` (ECMAScript WhiteSpace and LineTerminator). */
function isRegexSpace(c: number): boolean {
  if (c === 32 || (c >= 9 && c <= 13)) return true;
  if (c < 160) return false;
  return c === 160 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

export function assignmentFollows(text: string, at: number): boolean {
  const len = text.length;
  let i = at;
  const wordEnd = Math.min(len, at + 20);
  for (; i < wordEnd; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45)) break;
  }
  if (i >= len) return false;
  let c = text.charCodeAt(i);
  if (c === 39 || c === 34) {
    if (++i >= len) return false;
    c = text.charCodeAt(i);
  }
  for (let k = 0; k < 3 && isRegexSpace(c); k++) {
    if (++i >= len) return false;
    c = text.charCodeAt(i);
  }
  return c === 58 || c === 61;
}

function upperBound(arr: number[], x: number): number {
  let lo = 0, hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function overlapsAny(spans: number[], start: number, end: number): boolean {
  for (let i = 0; i < spans.length; i += 2) if (spans[i]! < end && start < spans[i + 1]!) return true;
  return false;
}

interface Candidate {
  rule: CompiledRule;
  start: number; // index of the secret in the fragment text
  end: number;
  matchStart: number;
  secret: string;
  match: string;
  entropy: number;
  line: number; // 0-based fragment line
}

export function createScanner(config: ScanConfig): Scanner {
  const rules = config.rules.map(compileRule);
  const globalAllow = config.allowlists.map(createAllowlist);

  // Keyword automaton shared by every rule.
  const keywordIndex = new Map<string, number>();
  const keywordRules: number[][] = [];
  config.rules.forEach((r, i) => {
    if (rules[i]!.re === undefined) return;
    for (const kw of r.keywords) {
      let k = keywordIndex.get(kw);
      if (k === undefined) {
        k = keywordRules.length;
        keywordIndex.set(kw, k);
        keywordRules.push([]);
      }
      if (!keywordRules[k]!.includes(i)) keywordRules[k]!.push(i);
    }
  });
  // Built on first use: a scanner that only answers path questions (the main thread when workers do
  // the scanning) never pays for the automaton.
  let automaton: { delta: Int32Array; classOfUnit: Uint8Array; shift: number; stateRules: (Int32Array | undefined)[] } | undefined;
  function buildAutomaton(): NonNullable<typeof automaton> {
    const matcher = createKeywordMatcher([...keywordIndex.keys()]);
    const { delta, classOfUnit, shift, states } = matcher.tables;
    // Rules triggered by each automaton state, computed once (the scan loop only indexes this array).
    const stateRules: (Int32Array | undefined)[] = new Array<Int32Array | undefined>(states);
    for (let st = 0; st < states; st++) {
      const kws = matcher.keywordsAt(st);
      if (kws.length === 0) continue;
      const set = new Set<number>();
      for (const k of kws) for (const r of keywordRules[k]!) set.add(r);
      stateRules[st] = Int32Array.from(set);
    }
    return { delta, classOfUnit, shift, stateRules };
  }
  const alwaysRun = rules.filter((r) => r.re !== undefined && !r.hasKeywords).map((r) => r.index);
  const pathOnly = rules.filter((r) => r.re === undefined && r.pathRe !== undefined);

  function isPathAllowed(path: string): boolean {
    return globalAllow.some((a) => a.allowsWholePath(path));
  }

  function suppressed(rule: CompiledRule, ctx: { path: string; secret: string; match: string; line: string; commit?: string }): boolean {
    const full = { ruleId: rule.id, ...ctx };
    for (const a of globalAllow) if (a.allows(full)) return true;
    for (const a of rule.allowlists) if (a.allows(full)) return true;
    return false;
  }

  // Per-fragment window state, reused across fragments (reset as each fragment finishes).
  const winEnd = new Int32Array(rules.length).fill(-1); // end of the rule's last window, -1 = none yet
  const windowsOf: (number[] | undefined)[] = new Array<number[] | undefined>(rules.length);
  const touched: number[] = []; // rules with windows, in the order their first window opened

  /**
   * One pass of the keyword automaton over the text (inlined: no callback per character or per hit).
   * Each hit opens a window for the rules of its keyword unless it falls inside that rule's current
   * window or fails the rule's gate. Windows are whole lines around each hit, capped to LINE_CAP
   * characters either side (a minified line never costs more than that per window); hits arrive in
   * text order, so windows merge as they are produced. The hit's line is found once with
   * indexOf/lastIndexOf and shared by every rule (and every later hit on that line).
   */
  // The line holding the last keyword hit, [lineS, lineE) ('\n' at lineE or end of text); reset per
  // fragment by collectWindows.
  let lineS = 0, lineE = -1;

  /** A keyword hit ending just after index i: opens or extends the windows of the state's rules. */
  function onHit(text: string, i: number, list: Int32Array): void {
    const len = text.length;
    const end = i + 1;
    for (let j = 0; j < list.length; j++) {
      const r = list[j]!;
      const last = winEnd[r]!;
      if (end <= last) continue; // inside the rule's current window
      const rule = rules[r]!;
      const gateFn = rule.gateFn;
      if (gateFn !== undefined) {
        if (!gateFn(text, end)) continue;
      } else {
        const gate = rule.gate;
        if (gate !== undefined) {
          gate.lastIndex = end;
          if (!gate.test(text)) continue;
        }
      }
      let ws: number, we: number;
      if (rule.window === 0) {
        if (i >= lineE) {
          // i > the cached line's end: a new line. Both scans stay between the previous line and
          // the next newline, so over a fragment they cover each character at most once.
          lineS = text.lastIndexOf('\n', i) + 1;
          lineE = text.indexOf('\n', end);
          if (lineE === -1) lineE = len;
        }
        ws = end - LINE_CAP > lineS ? end - LINE_CAP : lineS;
        we = end + LINE_CAP < lineE ? end + LINE_CAP : lineE;
      } else {
        const a = Math.max(0, end - rule.window);
        const b = Math.min(len, end + rule.window);
        ws = a;
        const wsMin = Math.max(0, a - LINE_CAP);
        while (ws > wsMin && text.charCodeAt(ws - 1) !== 10) ws--;
        we = b;
        const weMax = Math.min(len, b + LINE_CAP);
        while (we < weMax && text.charCodeAt(we) !== 10) we++;
      }
      const w = windowsOf[r];
      if (w === undefined) {
        windowsOf[r] = [ws, we];
        touched.push(r);
      } else if (ws <= last) w[w.length - 1] = we;
      else w.push(ws, we);
      winEnd[r] = we;
    }
  }

  /**
   * The keyword automaton over the text, inlined (no callback per character). `bytes`, when given,
   * are the file's bytes with one byte per UTF-16 unit of `text` (the decoder produced exactly as many
   * units as bytes, so offsets agree): reading a byte array is faster than charCodeAt.
   */
  function collectWindows(text: string, bytes?: Uint8Array): void {
    automaton ??= buildAutomaton();
    const { delta, classOfUnit, shift, stateRules } = automaton;
    const len = text.length;
    lineS = 0;
    lineE = -1;
    let s = 0;
    if (bytes !== undefined && bytes.length === len) {
      for (let i = 0; i < len; i++) {
        const v = delta[s + classOfUnit[bytes[i]!]!]!;
        s = v & ~1;
        if ((v & 1) !== 0) onHit(text, i, stateRules[s >> shift]!);
      }
    } else {
      for (let i = 0; i < len; i++) {
        const v = delta[s + classOfUnit[text.charCodeAt(i)]!]!;
        s = v & ~1;
        if ((v & 1) !== 0) onHit(text, i, stateRules[s >> shift]!);
      }
    }
  }


  function scanFragment(fragment: Fragment): Finding[] {
    const text = fragment.text;
    if (text.length === 0) return [];
    collectWindows(text, fragment.bytes);
    for (const r of alwaysRun) {
      if (winEnd[r] === -1) touched.push(r);
      winEnd[r] = text.length;
      windowsOf[r] = [0, text.length];
    }
    if (touched.length === 0) return [];
    const windows: [number, number[]][] = [];
    for (const r of touched) {
      windows.push([r, windowsOf[r]!]);
      windowsOf[r] = undefined;
      winEnd[r] = -1;
    }
    touched.length = 0;

    // Line index, built only for fragments that have candidates.
    let lineStarts: number[] | undefined;
    const lineOf = (idx: number) => {
      if (!lineStarts) {
        lineStarts = [0];
        for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
      }
      return upperBound(lineStarts, idx) - 1;
    };
    const lineEnd = (line: number) => (line + 1 < lineStarts!.length ? lineStarts![line + 1]! - 1 : text.length);
    const candidates: Candidate[] = [];
    const vetoes: number[] = []; // spans [start, end) of values that failed a format checksum
    for (const [r, w] of windows) {
      const rule = rules[r]!;
      if (rule.pathRe && !rule.pathRe.test(fragment.path)) continue;
      const re = rule.re!;
      for (let i = 0; i < w.length; i += 2) {
        const ws = w[i]!;
        const slice = ws === 0 && w[i + 1] === text.length ? text : text.slice(ws, w[i + 1]!);
        re.lastIndex = 0;
        let m: RegExpExecArray | null;
        while ((m = re.exec(slice)) !== null) {
          if (m[0].length === 0) {
            re.lastIndex++;
            continue;
          }
          const c = candidateOf(rule, m, ws, lineOf);
          if (c === 'vetoed') {
            const at = ws + m.index;
            vetoes.push(at, at + m[0].length);
          } else if (c) candidates.push(c);
        }
      }
    }
    if (candidates.length === 0) return [];

    // Checks that need the line, then allowlists.
    const kept: Candidate[] = [];
    for (const c of candidates) {
      if (c.rule.generic && overlapsAny(vetoes, c.start, c.end)) continue; // a fake of a known format
      const lineText = text.slice(lineStarts![c.line]!, lineEnd(c.line));
      if (hasInlineAllow(lineText)) continue;
      const ctx: { path: string; secret: string; match: string; line: string; commit?: string } = {
        path: fragment.path, secret: c.secret, match: c.match, line: lineText,
      };
      if (fragment.commit) ctx.commit = fragment.commit.commit;
      if (suppressed(c.rule, ctx)) continue;
      kept.push(c);
    }

    const finalists = resolveOverlaps(applyRequired(kept)).filter((c) => !c.rule.skipReport);
    return finalists.map((c) => toFinding(c, fragment, text, lineStarts!, lineEnd, lineOf));
  }

  /**
   * Verdicts on secret values, per rule: every check below depends only on the rule and the value,
   * and the same values recur (a settings reference, a docs URL assigned to `token` in every file).
   * -1 = not a candidate, -2 = failed the rule's checksum (veto), otherwise the value's entropy.
   */
  const verdicts: (Map<string, number> | undefined)[] = new Array<Map<string, number> | undefined>(rules.length);
  const VERDICT_CACHE_MAX = 4096;

  function judge(rule: CompiledRule, secret: string): number {
    // Without a checksum every failed check means "no candidate", so the cheapest one goes first (on
    // keyword-dense code many generic matches are identifiers with a single character class).
    if (rule.generic && rule.checksum === undefined && charClassCount(secret) < 2) return -1;
    const entropy = shannonEntropy(secret);
    if (rule.entropy !== undefined && !(entropy > rule.entropy)) return -1;
    if (rule.checksum !== undefined && !runChecksum(rule.checksum, secret)) return -2;
    if (isPlaceholder(secret)) return -1;
    if (rule.generic && (looksLikeNonSecretValue(secret) || charClassCount(secret) < 2)) return -1;
    return entropy;
  }

  function candidateOf(rule: CompiledRule, m: RegExpExecArray, offset: number, lineOf: (i: number) => number): Candidate | 'vetoed' | undefined {
    let secret: string | undefined;
    if (rule.secretGroup !== undefined) secret = m[rule.secretGroup];
    else for (let g = 1; g < m.length && secret === undefined; g++) if (m[g]) secret = m[g];
    if (!secret) secret = m[0];
    if (secret.length < rule.minLength) return undefined;
    let cache = verdicts[rule.index];
    if (cache === undefined) verdicts[rule.index] = cache = new Map();
    let entropy = cache.get(secret);
    if (entropy === undefined) {
      entropy = judge(rule, secret);
      if (cache.size >= VERDICT_CACHE_MAX) cache.clear();
      cache.set(secret, entropy);
    }
    if (entropy === -1) return undefined;
    if (entropy === -2) return 'vetoed';
    const matchStart = offset + m.index;
    const rel = m[0].indexOf(secret);
    const start = matchStart + (rel < 0 ? 0 : rel);
    return { rule, start, end: start + secret.length, matchStart, secret, match: m[0], entropy, line: lineOf(start) };
  }


  function applyRequired(cands: Candidate[]): Candidate[] {
    if (!cands.some((c) => c.rule.required)) return cands;
    return cands.filter((c) => {
      if (!c.rule.required) return true;
      return c.rule.required.every((req) => {
        const within = req.withinLines ?? Number.POSITIVE_INFINITY;
        return cands.some((o) => o !== c && o.rule.id === req.id && Math.abs(o.line - c.line) <= within);
      });
    });
  }

  /** Where two findings cover overlapping text, keep the more specific rule (non-generic, earlier). */
  function resolveOverlaps(cands: Candidate[]): Candidate[] {
    if (cands.length < 2) return cands;
    const sorted = [...cands].sort((a, b) => a.start - b.start || rank(a) - rank(b));
    const out: Candidate[] = [];
    for (const c of sorted) {
      const clash = out.findIndex((o) => !o.rule.skipReport && !c.rule.skipReport && o.start < c.end && c.start < o.end);
      if (clash === -1) {
        out.push(c);
        continue;
      }
      if (rank(c) < rank(out[clash]!)) out[clash] = c;
    }
    return out;
  }

  function rank(c: Candidate): number {
    return (c.rule.generic ? 1_000_000 : 0) + c.rule.index;
  }

  function toFinding(
    c: Candidate,
    fragment: Fragment,
    text: string,
    lineStarts: number[],
    lineEnd: (l: number) => number,
    lineOf: (i: number) => number,
  ): Finding {
    const map = fragment.lineMap;
    const realLine = (l: number) => (map ? (map[l] ?? l + 1) : l + 1);
    const endIdx = Math.max(c.start, c.end - 1);
    const endLineIdx = lineOf(endIdx);
    let lineText = text.slice(lineStarts[c.line]!, lineEnd(c.line));
    const col = c.start - lineStarts[c.line]!;
    if (lineText.length > LINE_TEXT_MAX) {
      const from = Math.max(0, col - 100);
      lineText = lineText.slice(from, from + LINE_TEXT_MAX);
    }
    const f: Finding = {
      ruleId: c.rule.id,
      description: c.rule.description,
      file: fragment.path,
      line: realLine(c.line),
      column: col + 1,
      endLine: realLine(endLineIdx),
      endColumn: endIdx - lineStarts[endLineIdx]! + 1,
      secret: c.secret,
      match: c.match,
      lineText: lineText.replace(/\r$/, ''),
      entropy: Math.round(c.entropy * 1000) / 1000,
      tags: c.rule.tags,
      fingerprint: fingerprintOf(c.rule.id, fragment.path, c.secret),
    };
    if (fragment.commit) {
      f.commit = fragment.commit.commit;
      f.author = fragment.commit.author;
      f.email = fragment.commit.email;
      f.date = fragment.commit.date;
      f.message = fragment.commit.message;
    }
    return f;
  }

  function scanPath(path: string, commit?: Fragment['commit']): Finding[] {
    const out: Finding[] = [];
    for (const rule of pathOnly) {
      if (!rule.pathRe!.test(path)) continue;
      const ctx: { path: string; secret: string; match: string; line: string; commit?: string } = { path, secret: path, match: path, line: '' };
      if (commit) ctx.commit = commit.commit;
      if (suppressed(rule, ctx)) continue;
      const f: Finding = {
        ruleId: rule.id, description: rule.description, file: path, line: 1, column: 1, endLine: 1, endColumn: 1,
        secret: path, match: path, lineText: '', entropy: 0, tags: rule.tags, fingerprint: fingerprintOf(rule.id, path, path),
      };
      if (commit) Object.assign(f, { commit: commit.commit, author: commit.author, email: commit.email, date: commit.date, message: commit.message });
      out.push(f);
    }
    return out;
  }

  return {
    ruleCount: rules.length,
    ruleIds: rules.map((r) => r.id),
    scanFragment,
    scanPath,
    isPathAllowed,
    describeRules: () => rules.filter((r) => !r.skipReport).map((r) => ({ id: r.id, description: r.description, tags: r.tags })),
  };
}
