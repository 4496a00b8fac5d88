// Baseline: accepted findings, identified by fingerprint (a hash of rule, file and secret — not the
// line, so edits above a finding do not resurrect it, and a different secret on the same line is new).
import { readFileSync, writeFileSync } from 'node:fs';
import { ScanError } from './errors.js';
import type { Finding } from './types.js';

export interface BaselineEntry {
  fingerprint: string;
  ruleId: string;
  file: string;
  line: number;
  commit?: string;
}

export interface BaselineFile {
  version: 1;
  tool: 'coffer scan';
  createdAt: string;
  findings: BaselineEntry[];
}

export function buildBaseline(findings: Finding[], now = new Date()): BaselineFile {
  const seen = new Set<string>();
  const entries: BaselineEntry[] = [];
  for (const f of findings) {
    if (seen.has(f.fingerprint)) continue;
    seen.add(f.fingerprint);
    const e: BaselineEntry = { fingerprint: f.fingerprint, ruleId: f.ruleId, file: f.file, line: f.line };
    if (f.commit) e.commit = f.commit;
    entries.push(e);
  }
  entries.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  return { version: 1, tool: 'coffer scan', createdAt: now.toISOString(), findings: entries };
}

export function writeBaseline(path: string, findings: Finding[]): number {
  const b = buildBaseline(findings);
  try {
    writeFileSync(path, JSON.stringify(b, null, 2) + '\n');
  } catch (err) {
    throw new ScanError('ERR_SCAN_IO', `cannot write baseline ${path}: ${(err as Error).message}`);
  }
  return b.findings.length;
}

/** Reads a baseline file, or a JSON report from `coffer scan -f json` (anything with fingerprints). */
export function readBaseline(path: string): Set<string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ScanError('ERR_SCAN_BASELINE', `cannot read baseline ${path}: ${(err as Error).message}`, {
      hints: ['create one with `coffer scan --baseline-out ' + path + '`'],
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ScanError('ERR_SCAN_BASELINE', `baseline ${path} is not valid JSON: ${(err as Error).message}`);
  }
  const list = Array.isArray(doc) ? doc : (doc as { findings?: unknown }).findings;
  if (!Array.isArray(list)) throw new ScanError('ERR_SCAN_BASELINE', `baseline ${path} has no "findings" list`);
  const out = new Set<string>();
  for (const e of list) {
    const fp = (e as { fingerprint?: unknown }).fingerprint;
    if (typeof fp === 'string') out.add(fp);
  }
  return out;
}

export function applyBaseline(findings: Finding[], accepted: Set<string>): { kept: Finding[]; suppressed: number } {
  const kept = findings.filter((f) => !accepted.has(f.fingerprint));
  return { kept, suppressed: findings.length - kept.length };
}
