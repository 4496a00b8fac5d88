// Directory source: walks a tree (honouring .gitignore files at every level), and reads files for
// scanning, skipping binaries and files over the size limit — and saying which.
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import type { SkippedFile } from '../types.js';

export const DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024;
const BINARY_SNIFF = 8000;

export interface WalkOptions {
  root: string;
  gitignore: boolean;
  /** Paths (relative, '/'-separated) excluded by a global allowlist are not listed at all. */
  isPathAllowed?: (rel: string) => boolean;
  onWarning?: (message: string) => void;
}

interface IgnoreLayer {
  base: string; // relative dir with trailing '/', or '' for root
  ig: Ignore;
}

function loadIgnore(absDir: string, relDir: string, onWarning?: (m: string) => void): IgnoreLayer | undefined {
  let text: string;
  try {
    text = readFileSync(join(absDir, '.gitignore'), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const ig = ignore({ allowRelativePaths: true });
    for (const line of text.split(/\r?\n/)) {
      try {
        ig.add(line);
      } catch (err) {
        onWarning?.(`${relDir}.gitignore: ignoring a pattern it cannot parse (${JSON.stringify(line)}): ${(err as Error).message}`);
      }
    }
    return { base: relDir, ig };
  } catch (err) {
    onWarning?.(`${relDir}.gitignore: cannot use it: ${(err as Error).message}`);
    return undefined;
  }
}

function ignored(layers: IgnoreLayer[], rel: string, isDir: boolean): boolean {
  let result = false;
  for (const layer of layers) {
    const sub = rel.slice(layer.base.length) + (isDir ? '/' : '');
    try {
      const r = layer.ig.test(sub);
      if (r.ignored) result = true;
      else if (r.unignored) result = false;
    } catch {
      // a path the library refuses (e.g. odd characters) is simply not ignored
    }
  }
  return result;
}

/** Lists regular files under root as '/'-separated relative paths, sorted per directory. */
export function listFiles(opts: WalkOptions): { files: string[]; skipped: SkippedFile[] } {
  const files: string[] = [];
  const skipped: SkippedFile[] = [];
  const stack: { abs: string; rel: string; layers: IgnoreLayer[] }[] = [{ abs: opts.root, rel: '', layers: [] }];
  while (stack.length > 0) {
    const { abs, rel, layers: parentLayers } = stack.pop()!;
    let layers = parentLayers;
    if (opts.gitignore) {
      const own = loadIgnore(abs, rel, opts.onWarning);
      if (own) layers = [...parentLayers, own];
    }
    let entries;
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch (err) {
      opts.onWarning?.(`cannot read directory ${rel || '.'}: ${(err as Error).message}`);
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: { abs: string; rel: string; layers: IgnoreLayer[] }[] = [];
    for (const e of entries) {
      const childRel = rel + e.name;
      if (e.isDirectory()) {
        if (e.name === '.git') continue;
        if (layers.length > 0 && ignored(layers, childRel, true)) continue;
        if (opts.isPathAllowed?.(childRel + '/')) continue;
        subdirs.push({ abs: join(abs, e.name), rel: childRel + '/', layers });
      } else if (e.isFile()) {
        if (layers.length > 0 && ignored(layers, childRel, false)) continue;
        if (opts.isPathAllowed?.(childRel)) continue;
        files.push(childRel);
      } else if (e.isSymbolicLink()) {
        skipped.push({ path: childRel, reason: 'symlink' });
      }
    }
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!);
  }
  return { files, skipped };
}

/** `bytes` is a view of a reused buffer: valid until the next read in this thread. */
export type ReadResult = { text: string; size: number; bytes: Uint8Array } | { skipped: SkippedFile };

/** Scratch buffer reused across reads in this thread (files are decoded to a string right away). */
let scratch = Buffer.allocUnsafe(1 << 20);

/**
 * Reads one file for scanning, or says why it is skipped (binary, too large, unreadable). One open,
 * one fstat and the reads: the size limit is checked before any content is read, the binary sniff
 * looks at the first 8,000 bytes of what was read.
 */
export function readForScan(abs: string, rel: string, maxSize: number): ReadResult {
  let fd: number | undefined;
  try {
    try {
      fd = openSync(abs, 'r');
    } catch (err) {
      // Not readable: a file over the limit is still reported as too large (no need to read it).
      const st = statSync(abs);
      if (st.size > maxSize) return { skipped: { path: rel, reason: 'too-large', size: st.size } };
      throw err;
    }
    const size = fstatSync(fd).size;
    if (size > maxSize) return { skipped: { path: rel, reason: 'too-large', size } };
    if (scratch.length < size + 1) scratch = Buffer.allocUnsafe(Math.max(size + 1, scratch.length * 2));
    // Read to EOF (the file may have changed since fstat); one byte of headroom detects growth.
    let n = 0;
    for (;;) {
      if (n === scratch.length) {
        if (n > maxSize) break;
        const bigger = Buffer.allocUnsafe(scratch.length * 2);
        scratch.copy(bigger, 0, 0, n);
        scratch = bigger;
      }
      const got = readSync(fd, scratch, n, scratch.length - n, null);
      if (got === 0) break;
      n += got;
    }
    if (scratch.subarray(0, Math.min(BINARY_SNIFF, n)).includes(0)) return { skipped: { path: rel, reason: 'binary', size: Math.max(size, n) } };
    if (n > maxSize) return { skipped: { path: rel, reason: 'too-large', size: n } };
    return { text: scratch.toString('utf8', 0, n), size: n, bytes: scratch.subarray(0, n) };
  } catch (err) {
    return { skipped: { path: rel, reason: 'unreadable', detail: (err as Error).message } };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export interface FileScanResult {
  findings: import('../types.js').Finding[];
  skipped: SkippedFile[];
  bytes: number;
  files: number;
}

/** Scans a list of relative paths under root in this thread. */
export function scanFileList(
  scanner: import('../engine.js').Scanner,
  root: string,
  files: readonly string[],
  maxSize: number,
  onFile?: (bytes: number) => void,
): FileScanResult {
  const out: FileScanResult = { findings: [], skipped: [], bytes: 0, files: 0 };
  for (const rel of files) {
    const pathFindings = scanner.scanPath(rel);
    if (pathFindings.length > 0) out.findings.push(...pathFindings);
    const r = readForScan(join(root, rel), rel, maxSize);
    if ('skipped' in r) {
      out.skipped.push(r.skipped);
      onFile?.(0);
      continue;
    }
    out.files++;
    out.bytes += r.size;
    const found = scanner.scanFragment({ path: rel, text: r.text, bytes: r.bytes });
    if (found.length > 0) out.findings.push(...found);
    onFile?.(r.size);
  }
  return out;
}
