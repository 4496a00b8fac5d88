// Streaming parser for `git log -p -U0` / `git diff -U0` output: yields one fragment per file per
// commit holding only the added lines, with their real line numbers.
import type { CommitInfo } from '../types.js';

export const COMMIT_MARKER = '\x01';
/** `--format` for git log that the parser understands. */
export const COMMIT_FORMAT = `--format=${'%x01%H%x1f%an%x1f%ae%x1f%aI%x1f%s'}`;

export interface FilePatch {
  path: string;
  oldBlob: string;
  newBlob: string;
  isNew: boolean;
  binary: boolean;
  addedLines: string[];
  lineMap: number[];
  addedBytes: number;
  commit?: CommitInfo;
}

function unquotePath(p: string): string {
  if (!p.startsWith('"')) return p;
  const inner = p.slice(1, -1);
  const bytes: number[] = [];
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (c !== '\\') {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
      continue;
    }
    const n = inner[++i]!;
    if (/[0-7]/.test(n)) {
      bytes.push(parseInt(inner.slice(i, i + 3), 8));
      i += 2;
    } else bytes.push(({ n: 10, t: 9, r: 13, '"': 34, '\\': 92, a: 7, b: 8, f: 12, v: 11 } as Record<string, number>)[n] ?? n.charCodeAt(0));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** `diff --git a/P b/P` → P (used for binary patches, which have no +++ line). */
function pathFromDiffLine(line: string): string {
  const rest = line.slice('diff --git '.length);
  if (rest.startsWith('"')) {
    const m = /^"(?:[^"\\]|\\.)*" ("(?:[^"\\]|\\.)*")$/.exec(rest);
    return m ? unquotePath(m[1]!).replace(/^b\//, '') : '';
  }
  const half = (rest.length - 1) / 2;
  if (!Number.isInteger(half)) return '';
  const a = rest.slice(0, half), b = rest.slice(half + 1);
  return a.slice(2) === b.slice(2) && b.startsWith('b/') ? b.slice(2) : '';
}

export interface DiffParser {
  push(line: string): void;
  end(): void;
}

/**
 * Feeds lines (without their newline) and calls onPatch for every file patch, once complete.
 * `maxBytes` stops collecting added lines of a single patch beyond that size (the patch is then
 * reported with addedBytes over the limit so the caller can say it was skipped).
 */
export function createDiffParser(onPatch: (p: FilePatch) => void, maxBytes: number): DiffParser {
  let commit: CommitInfo | undefined;
  let file: FilePatch | undefined;
  let inHunk = false;
  let next = 0;

  const flush = () => {
    if (file && file.path !== '') onPatch(file);
    file = undefined;
    inHunk = false;
  };

  return {
    push(line) {
      if (line.startsWith(COMMIT_MARKER)) {
        flush();
        const [hash = '', author = '', email = '', date = '', message = ''] = line.slice(1).split('\x1f');
        commit = { commit: hash, author, email, date, message };
        return;
      }
      if (line.startsWith('diff --git ')) {
        flush();
        file = { path: pathFromDiffLine(line), oldBlob: '', newBlob: '', isNew: false, binary: false, addedLines: [], lineMap: [], addedBytes: 0 };
        if (commit) file.commit = commit;
        return;
      }
      if (!file) return;
      if (inHunk) {
        const c = line.charCodeAt(0);
        if (c === 43 /* + */) {
          file.addedBytes += line.length;
          if (file.addedBytes <= maxBytes) {
            file.addedLines.push(line.slice(1));
            file.lineMap.push(next);
          }
          next++;
          return;
        }
        if (c === 32 /* space */) {
          next++;
          return;
        }
        if (c === 45 /* - */ || c === 92 /* \ */) return;
        if (!line.startsWith('@@')) {
          inHunk = false; // something unexpected: fall through to header parsing
        }
      }
      if (line.startsWith('@@')) {
        const m = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
        next = m ? Number(m[1]) : 1;
        inHunk = true;
        return;
      }
      if (line.startsWith('index ')) {
        const m = /^index ([0-9a-f]+)\.\.([0-9a-f]+)/.exec(line);
        if (m) {
          file.oldBlob = m[1]!;
          file.newBlob = m[2]!;
        }
      } else if (line.startsWith('new file mode')) file.isNew = true;
      else if (line.startsWith('+++ ')) {
        const p = line.slice(4);
        if (p === '/dev/null') file.path = ''; // deleted: nothing added
        else file.path = unquotePath(p).replace(/^b\//, '');
      } else if (line.startsWith('Binary files ') || line.startsWith('GIT binary patch')) file.binary = true;
    },
    end() {
      flush();
    },
  };
}
