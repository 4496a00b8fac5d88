// Staged source (pre-commit): the added lines of `git diff --cached`, i.e. exactly what the next
// commit would add — not unstaged edits in the working tree.
import type { Scanner } from '../engine.js';
import { createDiffParser } from './diff.js';
import { createPatchSink, scanPatch, streamGitLines, type GitScanResult } from './git.js';

export async function scanStaged(scanner: Scanner, root: string, maxBytes: number): Promise<GitScanResult> {
  const out: GitScanResult = { findings: [], skipped: [], bytes: 0, patches: 0 };
  const args = ['-c', 'core.quotepath=off', 'diff', '--cached', '-p', '-U0', '--no-color', '--no-ext-diff', '--no-textconv', '--full-index', '--no-renames', '--diff-filter=ACM'];
  const sink = createPatchSink();
  const parser = createDiffParser((p) => scanPatch(scanner, { ...p, newBlob: '' }, sink, maxBytes, out), maxBytes);
  await streamGitLines(root, args, undefined, (line) => parser.push(line));
  parser.end();
  return out;
}
