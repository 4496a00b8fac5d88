// Walks one or more audit files (oldest first) and proves their hash chain: every line's own MAC,
// consecutive sequence numbers, each `prev` equal to the MAC of the line before, every file beginning
// with a chain-start line and every file but the live one ending with a closing checkpoint. The first
// problem is reported by file and 1-based line number. Lines are split on '\n' bytes and MAC'd as
// exact bytes, so even an added '\r' or a changed invisible byte is caught.
import { open } from 'node:fs/promises';
import { openLine, parseLineObject } from './hash-chain.js';

export type ProblemKind = 'modified' | 'deleted' | 'inserted' | 'reordered' | 'truncated' | 'malformed' | 'io';

export interface VerifyProblem {
  file: string;
  /** 1-based line number the problem is at (for truncation: the line that is missing). */
  line: number;
  kind: ProblemKind;
  message: string;
}

export interface VerifyWarning {
  file: string;
  line: number;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  /** The first problem found; verification stops there. */
  problem?: VerifyProblem;
  /** Things that are not proof of tampering but limit what the chain proves (unclean shutdowns). */
  warnings: VerifyWarning[];
  files: number;
  lines: number;
  entries: number;
  checkpoints: number;
  /** Sequence numbers of the first and last line verified. */
  firstSeq: number;
  lastSeq: number;
  /** MAC of the last line verified: the chain head, comparable with a recorded anchor. */
  lastMac: string;
}

export interface VerifyOptions {
  /**
   * Accept a last file that does not end with a closing checkpoint (the log of a running server).
   * Without it, a missing closing checkpoint is reported as truncation.
   */
  live?: boolean;
  /**
   * The chain head the server reports for the device (sys/audit-chain-key): the files must contain
   * that line (same seq, same MAC). A log that ends before it was cut (or is not the file the
   * server writes); one that has a different line there was replaced.
   */
  anchor?: { seq: number; mac: string };
}

const READ_CHUNK = 1 << 20;

/** Yields each line of a file as exact bytes (without '\n'), and whether the file ended with '\n'. */
async function* readLines(path: string): AsyncGenerator<{ bytes: Buffer; terminated: boolean }> {
  const fh = await open(path, 'r');
  try {
    let carry: Buffer = Buffer.alloc(0);
    const buf = Buffer.alloc(READ_CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      let chunk = Buffer.concat([carry, buf.subarray(0, bytesRead)]);
      let nl: number;
      while ((nl = chunk.indexOf(0x0a)) !== -1) {
        yield { bytes: chunk.subarray(0, nl), terminated: true };
        chunk = chunk.subarray(nl + 1);
      }
      carry = Buffer.from(chunk);
    }
    if (carry.length > 0) yield { bytes: carry, terminated: false };
  } finally {
    await fh.close();
  }
}

interface LineMeta {
  type: string;
  reason: string;
  /** A chain-start line's record of a file the server found cut or replaced when it opened it. */
  truncation?: { when?: unknown; expected_seq?: unknown; found_seq?: unknown };
}

function metaOf(bytes: Buffer): LineMeta {
  const obj = parseLineObject(bytes);
  const meta: LineMeta = { type: typeof obj?.['type'] === 'string' ? obj['type'] : '', reason: typeof obj?.['reason'] === 'string' ? obj['reason'] : '' };
  const t = obj?.['truncation'];
  if (meta.type === 'chain-start' && t && typeof t === 'object') meta.truncation = t as LineMeta['truncation'];
  return meta;
}

/** How the server described a truncation it found (for messages). */
function serverRecord(t: NonNullable<LineMeta['truncation']>): string {
  const expected = Number(t.expected_seq);
  const found = Number(t.found_seq);
  const where = t.when === 'live' ? 'while the file was open' : 'when it opened the file again';
  return `the server recorded ${where} that the file did not end where it left it (it had written up to seq ${expected}; the file ended at seq ${found})`;
}

const isClosing = (m: LineMeta): boolean => m.type === 'checkpoint' && (m.reason === 'close' || m.reason === 'rotate');

/** Verifies `files` in the order given (oldest first) with the device's chain key. */
export async function verifyAuditFiles(files: string[], key: Uint8Array, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const result: VerifyResult = { ok: false, warnings: [], files: 0, lines: 0, entries: 0, checkpoints: 0, firstSeq: 0, lastSeq: 0, lastMac: '' };
  let prevSeq = 0;
  let prevMac: string | undefined; // undefined: nothing verified yet
  let prevMeta: LineMeta | undefined;
  const anchor = opts.anchor && opts.anchor.seq > 0 ? opts.anchor : undefined;
  let anchorSeen = false;
  let lastFileName = '';
  let lastLineNo = 0;
  const fail = (file: string, line: number, kind: ProblemKind, message: string): VerifyResult => {
    result.problem = { file, line, kind, message };
    return result;
  };

  for (let f = 0; f < files.length; f++) {
    const file = files[f]!;
    const lastFile = f === files.length - 1;
    let lineNo = 0;
    let lastMeta: LineMeta | undefined;
    try {
      for await (const { bytes, terminated } of readLines(file)) {
        lineNo++;
        const opened = openLine(key, bytes);
        if (!opened.ok) {
          if (!terminated) return fail(file, lineNo, 'truncated', `line ${lineNo} is incomplete: the file was cut off in the middle of a line`);
          return fail(file, lineNo, 'inserted', `line ${lineNo} is not a chained audit line (${opened.reason}): inserted or damaged`);
        }
        if (!opened.macValid) {
          return fail(file, lineNo, 'modified', `line ${lineNo} was modified or forged: its MAC does not match (or the key is wrong)`);
        }
        if (!terminated) return fail(file, lineNo, 'truncated', `line ${lineNo} has no line end: the file was cut off`);
        const meta = metaOf(bytes);
        const { seq, prev } = opened;
        if (lineNo === 1 && meta.type !== 'chain-start') {
          return fail(file, 1, 'deleted', 'the file does not begin with a chain-start line: lines were deleted from its start');
        }
        if (prevMac === undefined) {
          // The first line verified: nothing before it to link to (earlier files not given).
          result.firstSeq = seq;
        } else if (prev === '' && meta.type === 'chain-start') {
          // A new chain (a socket/stdout device after a restart): nothing links it to what came before.
          const after = prevMeta && isClosing(prevMeta) ? 'after a closed segment' : 'after a segment that did not close (unclean shutdown?)';
          result.warnings.push({ file, line: lineNo, message: `a new chain starts at line ${lineNo} ${after}: nothing proves that no lines are missing before it` });
        } else if (seq === prevSeq + 1 && prev === prevMac) {
          if (meta.type === 'chain-start' && meta.reason === 'recover') {
            result.warnings.push({ file, line: lineNo, message: `the server did not close the log before line ${lineNo} (unclean shutdown): lines written just before it cannot be proven complete` });
          }
          if (meta.truncation) {
            result.warnings.push({ file, line: lineNo, message: `${serverRecord(meta.truncation)} before line ${lineNo}; the chain is whole here now (the missing lines were put back?)` });
          }
        } else if (seq > prevSeq + 1) {
          const n = seq - prevSeq - 1;
          const where = lineNo === 1 ? `at the start of ${file}` : `before line ${lineNo}`;
          const why = meta.truncation ? `: ${serverRecord(meta.truncation)}` : ': deleted or reordered';
          return fail(file, lineNo, 'deleted', `${n} line(s) missing ${where} (expected seq ${prevSeq + 1}, found ${seq})${why}`);
        } else if (seq <= prevSeq) {
          return fail(file, lineNo, 'reordered', `line ${lineNo} is out of order (seq ${seq} after ${prevSeq}): reordered or duplicated`);
        } else {
          const why = meta.truncation ? `: ${serverRecord(meta.truncation)}` : ': lines replaced or spliced';
          return fail(file, lineNo, 'inserted', `line ${lineNo} does not follow the line before it (prev hash mismatch)${why}`);
        }
        if (anchor && seq === anchor.seq) {
          if (opened.mac !== anchor.mac) {
            return fail(file, lineNo, 'modified', `line ${lineNo} (seq ${seq}) is not the line the server wrote at seq ${seq} (its hash differs from the server's chain head): the file was replaced`);
          }
          anchorSeen = true;
        }
        if (meta.type === 'checkpoint') result.checkpoints++;
        else if (meta.type === 'request' || meta.type === 'response') result.entries++;
        prevSeq = seq;
        prevMac = opened.mac;
        prevMeta = meta;
        lastMeta = meta;
        result.lines++;
      }
      lastFileName = file;
      lastLineNo = lineNo;
    } catch (err) {
      return fail(file, lineNo + 1, 'io', `cannot read ${file}: ${(err as Error).message}`);
    }
    result.files++;
    if (lineNo === 0) {
      if (lastFile && opts.live) continue;
      return fail(file, 1, 'truncated', 'the file is empty: every audit file starts with a chain-start line');
    }
    if (!lastMeta || !isClosing(lastMeta)) {
      if (lastFile && opts.live) continue;
      const hint = lastFile ? ' (if this is the live log of a running server, pass --live)' : '';
      return fail(file, lineNo + 1, 'truncated', `the file ends after line ${lineNo} without a closing checkpoint: lines were cut off${hint}`);
    }
  }
  result.lastSeq = prevSeq;
  result.lastMac = prevMac ?? '';
  if (anchor && !anchorSeen) {
    if (anchor.seq > prevSeq) {
      return fail(lastFileName, lastLineNo + 1, 'truncated', `the log ends at seq ${prevSeq} but the server has written up to seq ${anchor.seq} (head ${anchor.mac}): ${anchor.seq - prevSeq} line(s) were cut off the end, or this is not the file the device writes to`);
    }
    return fail(lastFileName || (files.at(-1) ?? ''), lastLineNo + 1, 'deleted', `the server's chain head (seq ${anchor.seq}) is not in these files (seq ${result.firstSeq}..${prevSeq})`);
  }
  result.ok = true;
  return result;
}
