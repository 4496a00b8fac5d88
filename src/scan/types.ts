// Shared shapes of the scanner: rule and allowlist configuration (plain data, so it can be sent to
// worker threads), fragments (one unit of scanned text) and findings.
import type { ChecksumKind } from './checksum.js';

export type RegexTarget = 'secret' | 'match' | 'line';

export interface AllowlistConfig {
  description?: string;
  /** OR (default): any listed condition allows the finding. AND: every non-empty condition must hold. */
  condition: 'OR' | 'AND';
  paths: string[];
  regexes: string[];
  regexTarget: RegexTarget;
  stopwords: string[];
  commits: string[];
  /** Global allowlists only: restrict to these rule ids. */
  targetRules?: string[];
}

export interface RequiredRule {
  id: string;
  withinLines?: number;
}

export interface RuleConfig {
  id: string;
  description: string;
  regex?: string;
  secretGroup?: number;
  /** Shannon entropy (bits per char) the secret must strictly exceed. */
  entropy?: number;
  keywords: string[];
  /** Regex on the file path: alone, the file itself is the finding; with `regex`, both must match. */
  path?: string;
  tags: string[];
  allowlists: AllowlistConfig[];
  checksum?: ChecksumKind;
  /** Extra characters of context either side of a keyword hit given to the regex (multi-line formats). */
  window?: number;
  /** Composite rule: report only when these rules also match nearby. */
  required?: RequiredRule[];
  /** Used as an auxiliary rule for `required`; never reported itself. */
  skipReport?: boolean;
  /** Shapeless value (generic assignment): code references, paths and words are filtered out. */
  generic?: boolean;
  /** Minimum secret length. */
  minLength?: number;
  /**
   * Speed-up for rules whose keywords are common words: a regex that must match right after a keyword
   * hit (tested there, anchored) for the hit to open a window. Only sound when every match of `regex`
   * contains one of the rule's keywords immediately followed by a match of the gate.
   */
  gate?: string;
  /** Test-only template that produces a true positive (see test/scan/token-gen.ts). */
  example?: string;
  /** Where the rule was defined (file:line), for error messages. */
  origin?: string;
}

export interface ScanConfig {
  title?: string;
  rules: RuleConfig[];
  allowlists: AllowlistConfig[];
  /** Files the configuration was read from, in load order. */
  origins: string[];
  /** Non-fatal remarks made while loading (e.g. a config that drops the default rules). */
  warnings: string[];
}

export interface CommitInfo {
  commit: string;
  author: string;
  email: string;
  date: string;
  message: string;
}

/** One unit of text to scan: a file, the added lines of one file in one commit, or stdin. */
export interface Fragment {
  path: string;
  text: string;
  /**
   * Optional: the bytes `text` was decoded from, used only when there are exactly as many bytes as
   * UTF-16 units in `text` (e.g. ASCII), so byte offsets are text offsets. Read during the call only.
   */
  bytes?: Uint8Array;
  /** For diff fragments: real line number of each line of `text` (0-based index → 1-based line). */
  lineMap?: number[];
  commit?: CommitInfo;
}

export interface Finding {
  ruleId: string;
  description: string;
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** The secret itself; reporters redact it unless asked not to. */
  secret: string;
  /** The whole regex match. */
  match: string;
  /** The source line holding the start of the secret (trimmed to 400 chars around it). */
  lineText: string;
  entropy: number;
  tags: string[];
  fingerprint: string;
  commit?: string;
  author?: string;
  email?: string;
  date?: string;
  message?: string;
}

export type SkipReason = 'binary' | 'too-large' | 'unreadable' | 'symlink';

export interface SkippedFile {
  path: string;
  reason: SkipReason;
  size?: number;
  detail?: string;
}
