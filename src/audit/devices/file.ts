// The `file` audit device's sink: appends whole lines to a file (O_APPEND), or to stdout, or nowhere
// (`discard`). reopen() closes and reopens the path, which is what log rotation needs (SIGHUP after
// the file was renamed). The file is created with `mode` (default 0600) and an existing file is
// chmod'ed to it unless mode is 0, as Vault does.
// A write is whole or not at all: when the disk fills (or any error) after part of a write reached
// the file, the file is cut back to where that write began — the end of the last complete line —
// before the error is reported, so the next line never lands behind half a line. If even that cut
// fails, no further write is attempted until it succeeds.
import { open, type FileHandle } from 'node:fs/promises';
import { codedError, type LineSink, type SinkTail } from '../hash-chain.js';

/** Writes up to `length` bytes of `buf` from `offset`; returns how many were written. */
export type WriteChunk = (fh: FileHandle, buf: Buffer, offset: number, length: number) => Promise<number>;

export interface FileSinkOptions {
  /** A path, `stdout` or `discard`. */
  filePath: string;
  /** Permission bits; 0 = leave an existing file's mode alone (new files get 0600). */
  mode: number;
  /** The system write (a seam for tests that need a short write followed by an error). */
  writeChunk?: WriteChunk;
}

const TAIL_CHUNK = 64 * 1024;
/** The longest last line read back to resume a chain; a longer one starts a new chain. */
const MAX_TAIL_LINE = 64 * 1024 * 1024;

const systemWrite: WriteChunk = async (fh, buf, offset, length) => (await fh.write(buf, offset, length)).bytesWritten;

export function createFileSink(opts: FileSinkOptions): LineSink {
  if (opts.filePath === 'discard') {
    return { open: async () => undefined, write: async () => undefined, reopen: async () => undefined, close: async () => undefined };
  }
  if (opts.filePath === 'stdout') return createStdoutSink();
  const path = opts.filePath;
  const writeChunk = opts.writeChunk ?? systemWrite;
  let fh: FileHandle | undefined;
  /** Bytes of a failed write still at the end of the file (the cut-back failed too). */
  let torn = 0;
  /** The size the open file should have: its size at open plus every byte written since (regular files). */
  let expectedSize: number | undefined;
  /** A close or reopen flushing the old file: sync() waits for it, so nothing recorded is ahead of the disk. */
  let closing: Promise<void> = Promise.resolve();

  async function doOpen(): Promise<void> {
    const handle = await open(path, 'a', opts.mode === 0 ? 0o600 : opts.mode);
    try {
      const st = await handle.stat();
      if (opts.mode !== 0 && st.isFile() && (st.mode & 0o7777) !== opts.mode) await handle.chmod(opts.mode);
    } catch (err) {
      await handle.close();
      throw err;
    }
    fh = handle;
    const st = await handle.stat().catch(() => undefined);
    expectedSize = st?.isFile() ? st.size : undefined;
  }

  /** Cuts the bytes of a failed write off the end of the file. */
  async function cutTorn(handle: FileHandle): Promise<void> {
    const st = await handle.stat();
    if (st.isFile() && st.size >= torn) await handle.truncate(st.size - torn);
    torn = 0;
  }

  async function doClose(): Promise<void> {
    const handle = fh;
    fh = undefined;
    expectedSize = undefined;
    if (!handle) return;
    const done = (async () => {
      try {
        if (torn > 0) await cutTorn(handle).catch(() => undefined);
        // The closing checkpoint reaches the disk before the server records it as the head.
        await handle.datasync().catch(() => undefined);
      } finally {
        torn = 0;
        await handle.close();
      }
    })();
    closing = done.catch(() => undefined);
    await done;
  }

  return {
    async open() {
      if (!fh) await doOpen();
    },
    async write(line: string) {
      if (!fh) await doOpen();
      const handle = fh!;
      // An earlier write left part of itself behind and could not remove it: remove it first, or fail.
      if (torn > 0) await cutTorn(handle);
      const buf = Buffer.from(line, 'utf8');
      let off = 0;
      try {
        while (off < buf.length) {
          const n = await writeChunk(handle, buf, off, buf.length - off);
          if (n <= 0) throw codedError('EIO', 'audit file write made no progress');
          off += n;
        }
        if (expectedSize !== undefined && fh === handle) expectedSize += buf.length;
      } catch (err) {
        if (off > 0) {
          torn = off;
          await cutTorn(handle).catch(() => undefined); // if this fails too, the next write retries it first
        }
        throw err;
      }
    },
    async reopen() {
      await doClose();
      await doOpen();
    },
    close: doClose,
    readTail: () => readTail(path),
    async dropTail(fromSize: number, toSize: number) {
      if (!fh) await doOpen();
      const st = await fh!.stat();
      if (!st.isFile() || st.size !== fromSize || toSize > fromSize) throw codedError('ERR_AUDIT_TAIL_CHANGED', 'audit file changed while its tail was read');
      expectedSize = toSize; // first, so a concurrent checkShrunk never sees the file below it
      await fh!.truncate(toSize);
    },
    async checkShrunk() {
      const handle = fh;
      const expected = expectedSize;
      if (!handle || expected === undefined) return undefined;
      const st = await handle.stat();
      if (fh !== handle || !st.isFile() || st.size >= expected) return undefined;
      // Cut while open (our own writes only ever add, and a failed write is cut back only to where it
      // began). Reported once: by whichever check moves the expectation to the new size first.
      if (expectedSize !== expected) return undefined;
      expectedSize = st.size;
      return { expectedSize: expected, actualSize: st.size };
    },
    async sync() {
      await closing;
      await fh?.datasync().catch(() => undefined);
    },
  };
}

/**
 * The end of a regular file: its last complete line (without the newline; undefined when there is
 * none or it is absurdly long) and the bytes after the last newline (an incomplete last line; when
 * no newline was found, the bytes read). undefined when the file is missing, empty or not a regular file.
 */
export async function readTail(path: string): Promise<SinkTail | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size === 0) return undefined;
    const size = st.size;
    // Walk back to the last newline: everything after it is an incomplete line.
    let pos = size;
    let lastNl = -1;
    while (pos > 0 && size - pos <= MAX_TAIL_LINE) {
      const n = Math.min(TAIL_CHUNK, pos);
      const chunk = Buffer.alloc(n);
      await fh.read(chunk, 0, n, pos - n);
      pos -= n;
      const nl = chunk.lastIndexOf(0x0a);
      if (nl !== -1) {
        lastNl = pos + nl;
        break;
      }
    }
    if (lastNl === -1) return { size, endsWithNewline: false, tornBytes: size - pos, lastLine: undefined };
    const tornBytes = size - lastNl - 1;
    const endsWithNewline = tornBytes === 0;
    // The complete line ends at lastNl: find the newline before it.
    const chunks: Buffer[] = [];
    let end = lastNl;
    let length = 0;
    while (end > 0 && length <= MAX_TAIL_LINE) {
      const n = Math.min(TAIL_CHUNK, end);
      const chunk = Buffer.alloc(n);
      await fh.read(chunk, 0, n, end - n);
      end -= n;
      const nl = chunk.lastIndexOf(0x0a);
      if (nl !== -1) {
        chunks.unshift(chunk.subarray(nl + 1));
        return { size, endsWithNewline, tornBytes, lastLine: Buffer.concat(chunks) };
      }
      chunks.unshift(chunk);
      length += n;
    }
    if (end > 0) return { size, endsWithNewline, tornBytes, lastLine: undefined }; // absurdly long last line: do not resume from it
    return { size, endsWithNewline, tornBytes, lastLine: Buffer.concat(chunks) };
  } finally {
    await fh.close();
  }
}

function createStdoutSink(): LineSink {
  return {
    open: async () => undefined,
    write: (line: string) =>
      new Promise<void>((resolve, reject) => {
        process.stdout.write(line, (err) => (err ? reject(err) : resolve()));
      }),
    reopen: async () => undefined,
    close: async () => undefined,
  };
}
