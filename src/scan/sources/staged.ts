// Staged source (pre-commit): the added lines of `git diff --cached`, i.e. exactly what the next
// commit would add — not unstaged edits in the working tree.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ScanError } from '../errors.js';
import type { Scanner } from '../engine.js';
import { createDiffParser } from './diff.js';
import { createPatchSink, scanPatch, type GitScanResult } from './git.js';

export async function scanStaged(scanner: Scanner, root: string, maxBytes: number): Promise<GitScanResult> {
  const out: GitScanResult = { findings: [], skipped: [], bytes: 0, patches: 0 };
  const args = ['-c', 'core.quotepath=off', 'diff', '--cached', '-p', '-U0', '--no-color', '--no-ext-diff', '--no-textconv', '--full-index', '--no-renames', '--diff-filter=ACM'];
  const child = spawn('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => { stderr += d; });
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', (err) => reject(new ScanError('ERR_SCAN_GIT', `cannot run git: ${err.message}`)));
    child.on('close', (code) => resolve(code ?? 1));
  });
  const sink = createPatchSink();
  const parser = createDiffParser((p) => scanPatch(scanner, { ...p, newBlob: '' }, sink, maxBytes, out), maxBytes);
  for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) parser.push(line);
  parser.end();
  const code = await exited;
  if (code !== 0) throw new ScanError('ERR_SCAN_GIT', `git diff --cached failed: ${stderr.trim().split('\n')[0] ?? ''}`);
  return out;
}
