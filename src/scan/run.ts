// Runs one scan end to end for the CLI (and the benchmark): picks the source, fans work out to worker
// threads when it is large enough to pay for them, and returns sorted findings and what was skipped.
import { resolve } from 'node:path';
import { statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { createScanner } from './engine.js';
import { ScanError } from './errors.js';
import { listFiles, scanFileList } from './sources/dir.js';
import { listCommits, repoRoot, scanCommits, createPatchSink } from './sources/git.js';
import { scanStaged } from './sources/staged.js';
import { readStdin } from './sources/stdin.js';
import type { Finding, ScanConfig, SkippedFile } from './types.js';
import { runJobs } from './workers/pool.js';

export type ScanMode = 'dir' | 'git' | 'staged' | 'stdin';

export interface RunOptions {
  mode: ScanMode;
  target: string;
  config: ScanConfig;
  maxFileSize: number;
  gitignore: boolean;
  threads: number;
  range?: string;
  since?: string;
  allRefs?: boolean;
  stdin?: Readable;
  stdinName?: string;
  onWarning?: (message: string) => void;
  onProgress?: (p: Progress) => void;
}

export interface Progress {
  done: number;
  total: number;
  unit: 'files' | 'commits';
  bytes: number;
}

export interface RunResult {
  findings: Finding[];
  skipped: SkippedFile[];
  files: number;
  commits: number;
  bytes: number;
  ms: number;
  /** Rule ids and descriptions, for SARIF/JUnit. */
  rules: { id: string; description: string; tags: string[] }[];
  /** Path prefix findings are relative to (for reports). */
  root: string;
}

/** Below these sizes a scan stays in this thread: worker start-up would cost more than it saves. */
const PARALLEL_MIN_FILES = 400;
const PARALLEL_MIN_COMMITS = 400;
const FILES_PER_JOB = 128;

function sortFindings(findings: Finding[], commitOrder?: Map<string, number>): Finding[] {
  return findings.sort((a, b) => {
    if (commitOrder) {
      const ca = commitOrder.get(a.commit ?? '') ?? 0, cb = commitOrder.get(b.commit ?? '') ?? 0;
      if (ca !== cb) return ca - cb;
    }
    return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column || (a.ruleId < b.ruleId ? -1 : 1);
  });
}

export async function runScan(opts: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const scanner = createScanner(opts.config);
  const result: RunResult = { findings: [], skipped: [], files: 0, commits: 0, bytes: 0, ms: 0, rules: scanner.describeRules(), root: opts.target };

  if (opts.mode === 'stdin') {
    const { text, size, truncated } = await readStdin(opts.stdin ?? process.stdin, opts.maxFileSize);
    const name = opts.stdinName ?? '<stdin>';
    if (truncated) opts.onWarning?.(`stdin is larger than the ${opts.maxFileSize}-byte limit; only the first part was scanned (raise it with --max-file-size)`);
    if (text.includes('\0')) {
      result.skipped.push({ path: name, reason: 'binary', size });
    } else {
      result.findings = scanner.scanFragment({ path: name, text });
      result.files = 1;
      result.bytes = size;
    }
  } else if (opts.mode === 'dir') {
    const root = resolve(opts.target);
    let st;
    try {
      st = statSync(root);
    } catch {
      throw new ScanError('ERR_SCAN_IO', `${opts.target}: no such file or directory`);
    }
    let files: string[];
    let base = root;
    if (st.isFile()) {
      base = resolve(root, '..');
      files = [root.slice(base.length + 1)];
    } else {
      const listed = listFiles({
        root, gitignore: opts.gitignore, isPathAllowed: (p) => scanner.isPathAllowed(p),
        ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
      });
      files = listed.files;
      result.skipped.push(...listed.skipped);
    }
    result.root = base;
    let done = 0;
    const progress = (bytes: number) => {
      done++;
      result.bytes += bytes;
      if (opts.onProgress && (done & 63) === 0) opts.onProgress({ done, total: files.length, unit: 'files', bytes: result.bytes });
    };
    if (opts.threads <= 1 || files.length < PARALLEL_MIN_FILES) {
      const r = scanFileList(scanner, base, files, opts.maxFileSize, progress);
      result.findings = r.findings;
      result.skipped.push(...r.skipped);
      result.files = r.files;
      result.bytes = r.bytes;
    } else {
      const jobs = [];
      for (let i = 0; i < files.length; i += FILES_PER_JOB) {
        jobs.push({ kind: 'files' as const, root: base, files: files.slice(i, i + FILES_PER_JOB), maxSize: opts.maxFileSize });
      }
      await runJobs(opts.config, opts.threads, jobs, (r) => {
        if (r.kind !== 'files') return;
        result.findings.push(...r.findings);
        result.skipped.push(...r.skipped);
        result.files += r.files;
        result.bytes += r.bytes;
        done += r.files + r.skipped.length;
        opts.onProgress?.({ done, total: files.length, unit: 'files', bytes: result.bytes });
      });
    }
    sortFindings(result.findings);
  } else {
    const root = repoRoot(resolve(opts.target));
    result.root = root;
    if (opts.mode === 'staged') {
      const r = await scanStaged(scanner, root, opts.maxFileSize);
      result.findings = sortFindings(r.findings);
      result.skipped = r.skipped;
      result.files = r.patches;
      result.bytes = r.bytes;
    } else {
      const hist: { range?: string; since?: string; allRefs?: boolean } = {};
      if (opts.range !== undefined) hist.range = opts.range;
      if (opts.since !== undefined) hist.since = opts.since;
      if (opts.allRefs) hist.allRefs = true;
      const commits = listCommits(root, hist);
      result.commits = commits.length;
      const order = new Map(commits.map((c, i) => [c, i]));
      if (opts.threads <= 1 || commits.length < PARALLEL_MIN_COMMITS) {
        const r = await scanCommits(scanner, root, commits, opts.maxFileSize, (done) => {
          opts.onProgress?.({ done, total: commits.length, unit: 'commits', bytes: 0 });
        }, createPatchSink());
        result.findings = r.findings;
        result.skipped = r.skipped;
        result.files = r.patches;
        result.bytes = r.bytes;
      } else {
        // Contiguous slices keep each worker's blob dedup effective; one slice per thread.
        const per = Math.ceil(commits.length / (opts.threads * 2));
        const jobs = [];
        for (let i = 0; i < commits.length; i += per) jobs.push({ kind: 'git' as const, root, commits: commits.slice(i, i + per), maxSize: opts.maxFileSize });
        const doneBy = new Array<number>(jobs.length).fill(0);
        const report = () => opts.onProgress?.({ done: doneBy.reduce((a, b) => a + b, 0), total: commits.length, unit: 'commits', bytes: result.bytes });
        await runJobs(opts.config, opts.threads, jobs, (r) => {
          if (r.kind !== 'git') return;
          result.findings.push(...r.findings);
          result.skipped.push(...r.skipped);
          result.bytes += r.bytes;
        }, (job, n) => {
          doneBy[job] = n;
          report();
        });
        result.findings = dedupeExact(result.findings);
      }
      sortFindings(result.findings, order);
    }
  }
  result.ms = performance.now() - started;
  return result;
}

/** Slices never share a commit, but keep the result robust: collapse exact duplicates. */
function dedupeExact(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.commit}\0${f.file}\0${f.line}\0${f.column}\0${f.ruleId}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
