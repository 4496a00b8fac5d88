// Git history source: lists commits with rev-list, then streams `git log -p -U0` for them and scans
// the added lines of each file patch. A blob added whole (new file) is scanned once even when it
// reappears (renames, cherry-picks, other branches); an identical old→new change is scanned once.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ScanError } from '../errors.js';
import type { Scanner } from '../engine.js';
import type { Finding, SkippedFile } from '../types.js';
import { COMMIT_FORMAT, createDiffParser, type FilePatch } from './diff.js';

const MAX_BUFFER = 1024 * 1024 * 1024;

export function git(cwd: string, args: string[], input?: string): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: MAX_BUFFER, ...(input === undefined ? {} : { input }) });
  if (r.error) {
    throw new ScanError('ERR_SCAN_GIT', `cannot run git: ${r.error.message}`, { hints: ['install git, or scan a plain directory without --git'] });
  }
  if (r.status !== 0) {
    throw new ScanError('ERR_SCAN_GIT', `git ${args[0]} failed: ${(r.stderr || '').trim().split('\n')[0] ?? ''}`);
  }
  return r.stdout;
}

/** Top-level directory of the repository holding `dir`; a clear error when there is none. */
export function repoRoot(dir: string): string {
  const r = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: dir, encoding: 'utf8' });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !r.error.message.includes('spawn git')) throw new ScanError('ERR_SCAN_IO', `${dir}: no such directory`);
    throw new ScanError('ERR_SCAN_GIT', `cannot run git: ${r.error.message}`, { hints: ['install git, or scan the directory without --git'] });
  }
  if (r.status !== 0) {
    throw new ScanError('ERR_SCAN_NOT_GIT', `${dir} is not a git repository`, {
      hints: ['run `coffer scan DIR` (without --git/--staged) to scan the files as they are', 'or run `git init` first'],
    });
  }
  return r.stdout.trim();
}

export interface HistoryOptions {
  /** A revision range such as origin/main..HEAD. */
  range?: string;
  /** A commit (scan what came after it) or a date (git's --since). */
  since?: string;
  /** Every ref instead of HEAD. */
  allRefs?: boolean;
}

function isCommitish(root: string, rev: string): boolean {
  const r = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd: root, encoding: 'utf8' });
  return r.status === 0;
}

/** Commits to scan, oldest first. An empty repository has none. */
export function listCommits(root: string, opts: HistoryOptions): string[] {
  const head = spawnSync('git', ['rev-parse', '--verify', '--quiet', 'HEAD'], { cwd: root, encoding: 'utf8' });
  if (head.status !== 0 && !opts.allRefs && !opts.range) return [];
  const args = ['rev-list', '--reverse'];
  if (opts.range) {
    if (opts.range.startsWith('-')) throw new ScanError('ERR_SCAN_USAGE', `--range ${opts.range}: not a revision range`);
    args.push(opts.range);
  } else if (opts.allRefs) args.push('--all');
  else args.push('HEAD');
  if (opts.since) {
    if (opts.since.startsWith('-')) throw new ScanError('ERR_SCAN_USAGE', `--since ${opts.since}: not a commit or date`);
    if (isCommitish(root, opts.since)) args.push(`^${opts.since}`);
    else args.push(`--since=${opts.since}`);
  }
  const out = git(root, args);
  return out.split('\n').filter((l) => /^[0-9a-f]{40,64}$/.test(l));
}

export interface GitScanResult {
  findings: Finding[];
  skipped: SkippedFile[];
  bytes: number;
  patches: number;
}

export interface PatchSink {
  seenNewBlobs: Set<string>;
  seenChanges: Set<string>;
}

export function createPatchSink(): PatchSink {
  return { seenNewBlobs: new Set(), seenChanges: new Set() };
}

/** Scans one parsed patch; returns findings and whether it was skipped. */
export function scanPatch(scanner: Scanner, patch: FilePatch, sink: PatchSink, maxBytes: number, out: GitScanResult): void {
  if (patch.newBlob !== '') {
    if (sink.seenNewBlobs.has(patch.newBlob)) return; // this exact content was scanned whole before
    const change = `${patch.oldBlob}..${patch.newBlob}`;
    if (sink.seenChanges.has(change)) return;
    sink.seenChanges.add(change);
    if (patch.isNew) sink.seenNewBlobs.add(patch.newBlob);
  }
  if (scanner.isPathAllowed(patch.path)) return;
  if (patch.isNew) out.findings.push(...scanner.scanPath(patch.path, patch.commit));
  if (patch.binary) return;
  if (patch.addedBytes > maxBytes) {
    const skip: SkippedFile = { path: patch.path, reason: 'too-large', size: patch.addedBytes };
    if (patch.commit) skip.detail = `commit ${patch.commit.commit.slice(0, 12)}`;
    out.skipped.push(skip);
    return;
  }
  if (patch.addedLines.length === 0) return;
  const text = patch.addedLines.join('\n');
  if (text.includes('\0')) return;
  out.bytes += text.length;
  out.patches++;
  const frag = { path: patch.path, text, lineMap: patch.lineMap, ...(patch.commit ? { commit: patch.commit } : {}) };
  out.findings.push(...scanner.scanFragment(frag));
}

/** Runs git, feeding `input` (if any) and handing each output line to onLine; throws if git fails. */
export async function streamGitLines(root: string, args: string[], input: string | undefined, onLine: (line: string) => void): Promise<void> {
  const child = spawn('git', args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => { stderr += d; });
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', (err) => reject(new ScanError('ERR_SCAN_GIT', `cannot run git: ${err.message}`)));
    child.on('close', (code) => resolve(code ?? 1));
  });
  child.stdin.on('error', () => { /* git exited early; reported through its exit status */ });
  child.stdin.end(input ?? '');
  for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) onLine(line);
  const code = await exited;
  if (code !== 0) throw new ScanError('ERR_SCAN_GIT', `git ${args.find((a) => !a.startsWith('-') && !a.includes('=')) ?? ''} failed: ${stderr.trim().split('\n')[0] ?? ''}`);
}

const LOG_ARGS = ['-c', 'core.quotepath=off', 'log', '--no-walk=unsorted', '--stdin', '-p', '-U0', '--no-color', '--no-ext-diff', '--no-textconv', '--full-index', '--no-renames', '--diff-filter=AM', COMMIT_FORMAT];

/** Streams `git log -p` for the given commits (in order) and scans every added line. */
export async function scanCommits(
  scanner: Scanner,
  root: string,
  commits: string[],
  maxBytes: number,
  onCommit?: (done: number) => void,
  sink: PatchSink = createPatchSink(),
): Promise<GitScanResult> {
  const out: GitScanResult = { findings: [], skipped: [], bytes: 0, patches: 0 };
  if (commits.length === 0) return out;
  let done = 0;
  const parser = createDiffParser((p) => scanPatch(scanner, p, sink, maxBytes, out), maxBytes);
  await streamGitLines(root, LOG_ARGS, commits.join('\n') + '\n', (line) => {
    if (line.charCodeAt(0) === 1) {
      done++;
      if (onCommit && done % 50 === 0) onCommit(done);
    }
    parser.push(line);
  });
  parser.end();
  onCommit?.(done);
  return out;
}
