// The `file` audit device's sink: appends whole lines to a file (one write call per line, O_APPEND),
// or to stdout, or nowhere (`discard`). reopen() closes and reopens the path, which is what log
// rotation needs (SIGHUP after the file was renamed). The file is created with `mode` (default 0600)
// and an existing file is chmod'ed to it unless mode is 0, as Vault does.
import { open, type FileHandle } from 'node:fs/promises';
import { codedError, type LineSink } from '../hash-chain.js';

export interface FileSinkOptions {
  /** A path, `stdout` or `discard`. */
  filePath: string;
  /** Permission bits; 0 = leave an existing file's mode alone (new files get 0600). */
  mode: number;
}

const TAIL_CHUNK = 64 * 1024;
/** The longest last line read back to resume a chain; a longer one starts a new chain. */
const MAX_TAIL_LINE = 64 * 1024 * 1024;

export function createFileSink(opts: FileSinkOptions): LineSink {
  if (opts.filePath === 'discard') {
    return { open: async () => undefined, write: async () => undefined, reopen: async () => undefined, close: async () => undefined };
  }
  if (opts.filePath === 'stdout') return createStdoutSink();
  const path = opts.filePath;
  let fh: FileHandle | undefined;

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
  }

  async function doClose(): Promise<void> {
    const handle = fh;
    fh = undefined;
    if (handle) await handle.close();
  }

  return {
    async open() {
      if (!fh) await doOpen();
    },
    async write(line: string) {
      if (!fh) await doOpen();
      const buf = Buffer.from(line, 'utf8');
      let off = 0;
      while (off < buf.length) {
        const { bytesWritten } = await fh!.write(buf, off, buf.length - off);
        if (bytesWritten <= 0) throw codedError('EIO', 'audit file write made no progress');
        off += bytesWritten;
      }
    },
    async reopen() {
      await doClose();
      await doOpen();
    },
    close: doClose,
    readTail: () => readTail(path),
  };
}

/** The last line of a regular file (without its newline) and whether the file ends with one. */
export async function readTail(path: string): Promise<{ lastLine: Uint8Array; endsWithNewline: boolean } | undefined> {
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
    const last = Buffer.alloc(1);
    await fh.read(last, 0, 1, size - 1);
    const endsWithNewline = last[0] === 0x0a;
    const end = endsWithNewline ? size - 1 : size;
    const chunks: Buffer[] = [];
    let pos = end;
    let length = 0;
    while (pos > 0 && length <= MAX_TAIL_LINE) {
      const n = Math.min(TAIL_CHUNK, pos);
      const chunk = Buffer.alloc(n);
      await fh.read(chunk, 0, n, pos - n);
      pos -= n;
      const nl = chunk.lastIndexOf(0x0a);
      if (nl !== -1) {
        chunks.unshift(chunk.subarray(nl + 1));
        return { lastLine: Buffer.concat(chunks), endsWithNewline };
      }
      chunks.unshift(chunk);
      length += n;
    }
    if (pos > 0) return undefined; // absurdly long last line: do not resume from it
    return { lastLine: Buffer.concat(chunks), endsWithNewline };
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
