// `exec-env` and `exec-file`: hand decrypted secrets to a command without writing plaintext to disk.
//
// exec-env puts the top-level values into the child's environment.
//
// exec-file, by default, gives the child the plaintext through an anonymous pipe on file
// descriptor 3 and replaces `{}` with `/dev/fd/3`. Nothing gets a name in any file system, nothing
// is left behind if either process dies, and a child that never reads does not block us. (A named
// FIFO, sops's default, needs a directory entry and a blocking open that cannot be abandoned
// cleanly from Node.) Programs that must seek in the file or open it twice get `--no-fifo`: a 0600
// file inside a private 0700 directory on tmpfs (/dev/shm, i.e. memory), removed when the command
// ends or coffer is interrupted; if no tmpfs is available that mode is refused rather than
// writing secrets to a disk.

import { spawn, type StdioOptions } from 'node:child_process';
import { existsSync, statfsSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ExitCode, SopsError } from '../errors.js';
import { createStore } from '../formats/index.js';
import { decryptFile, loadEncrypted } from '../sops-file.js';
import { type Document, isBranch, isComment, plaintextString } from '../tree.js';
import {
  type CommonOptions,
  type SopsIo,
  decryptionOrder,
  emitOptions,
  inputFormat,
  loadSopsConfig,
  outputFormat,
  readInput,
  servicesOf,
} from './common.js';
import { createPrivateTempDir } from './edit.js';

export interface ExecOptions extends CommonOptions {
  pristine?: boolean;
  ignoreMac?: boolean;
  fifo?: boolean;
  filename?: string;
}

async function decryptForExec(io: SopsIo, file: string, opts: ExecOptions): Promise<Document> {
  const bytes = await readInput(io, file);
  const loaded = loadEncrypted(bytes, inputFormat(opts, file), file);
  const dec = await decryptFile(loaded, { services: servicesOf(io), fileLabel: file, ignoreMac: opts.ignoreMac, decryptionOrder: decryptionOrder(opts, io) });
  return dec.plain;
}

function runShell(command: string, env: NodeJS.ProcessEnv, stdio: StdioOptions, feed?: (child: ReturnType<typeof spawn>) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio, env });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const s of signals) process.on(s, forward);
    const done = () => {
      for (const s of signals) process.removeListener(s, forward);
    };
    child.on('error', (err) => {
      done();
      reject(new SopsError(ExitCode.generic, `could not run /bin/sh: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      done();
      resolve(code ?? (signal ? 128 + (({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1, SIGKILL: 9 }) as Record<string, number>)[signal]! || 1 : 1));
    });
    feed?.(child);
  });
}

export async function runExecEnv(io: SopsIo, file: string, command: string, opts: ExecOptions): Promise<number> {
  const plain = await decryptForExec(io, file, opts);
  const vars: Record<string, string> = {};
  for (const it of plain[0]?.items ?? []) {
    if (isComment(it.key)) continue;
    const v = it.value;
    if (it.key.includes('=')) throw new SopsError(ExitCode.generic, `cannot use key ${JSON.stringify(it.key)} as an environment variable name: it contains '='`);
    if (Array.isArray(v) || isBranch(v)) throw new SopsError(ExitCode.generic, `cannot use the nested value of ${JSON.stringify(it.key)} as an environment variable`, { hints: ['exec-env only exports top-level scalar values'] });
    if (v === null || isComment(v)) continue;
    vars[it.key] = typeof v === 'boolean' ? String(v) : plaintextString(v);
  }
  const env = opts.pristine ? { ...vars } : { ...io.env, ...vars };
  return runShell(command, env, 'inherit');
}

function tmpfsBase(): string | undefined {
  for (const dir of ['/dev/shm', '/run/user/' + (process.getuid?.() ?? '')]) {
    try {
      // TMPFS_MAGIC = 0x01021994
      if (existsSync(dir) && statfsSync(dir).type === 0x01021994) return dir;
    } catch {
      // Not available.
    }
  }
  return undefined;
}

export async function runExecFile(io: SopsIo, file: string, command: string, opts: ExecOptions): Promise<number> {
  const plain = await decryptForExec(io, file, opts);
  const fmt = outputFormat(opts, file);
  const bytes = createStore(fmt).emit(plain, undefined, emitOptions(fmt, opts, loadSopsConfig(io, opts)));
  const env = opts.pristine ? {} : { ...io.env };
  const name = opts.filename ?? basename(file);
  if (name.includes('/') || name === '..' || name === '.') throw new SopsError(ExitCode.generic, `--filename must be a plain file name, got ${JSON.stringify(name)}`);

  if (opts.fifo !== false) {
    const cmd = command.split('{}').join('/dev/fd/3');
    return runShell(cmd, env, ['inherit', 'inherit', 'inherit', 'pipe'], (child) => {
      const pipe = child.stdio[3] as NodeJS.WritableStream & { on(e: 'error', f: () => void): void };
      pipe.on('error', () => {
        // The command closed its end early; it has what it read.
      });
      pipe.end(bytes);
    });
  }

  const base = tmpfsBase();
  if (!base) {
    throw new SopsError(ExitCode.generic, 'no tmpfs directory (/dev/shm) is available for --no-fifo; refusing to write plaintext to disk', {
      hints: ['drop --no-fifo to pass the plaintext through a pipe'],
    });
  }
  const tmp = createPrivateTempDir('coffer-sops-exec-', base);
  try {
    const path = join(tmp.dir, name);
    writeFileSync(path, bytes, { mode: 0o600, flag: 'wx' });
    return await runShell(command.split('{}').join(path), env, 'inherit');
  } finally {
    tmp.cleanup();
  }
}
