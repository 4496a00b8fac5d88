// `exec-env` and `exec-file`: hand decrypted secrets to a command without writing plaintext to disk.
//
// exec-env puts the top-level values into the child's environment.
//
// exec-file, by default (as sops), gives the child a named FIFO inside a private 0700 directory and
// replaces `{}` with its path. A FIFO has no data on disk: the plaintext only passes through the
// kernel's pipe buffer. Our write end opens when the command opens the FIFO for reading; if the
// command exits without opening it, the pending open is released and nothing is written. The
// directory is removed when the command ends or coffer is interrupted. (An anonymous pipe on
// /dev/fd/N would avoid the name, but Node cannot create one: its stdio "pipes" are socket pairs,
// which /dev/fd cannot reopen, and a FIFO reopened through /dev/fd races with the writer closing.)
// Programs that must seek in the file or read it twice get `--no-fifo`: a 0600 regular file in a
// private 0700 directory on tmpfs (/dev/shm, i.e. memory), removed the same way; if no tmpfs is
// available that mode is refused rather than writing secrets to a disk.

import { spawn, spawnSync, type StdioOptions } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, statfsSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
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
    const tmp = createPrivateTempDir('coffer-sops-exec-');
    try {
      const fifo = join(tmp.dir, name);
      const mk = spawnSync('mkfifo', ['-m', '600', fifo], { stdio: 'ignore' });
      if (mk.status !== 0) throw new SopsError(ExitCode.generic, 'could not create a FIFO (mkfifo failed)', { hints: ['use --no-fifo'] });
      const state = { opened: false, childExited: false };
      const writer = (async () => {
        const fh = await open(fifo, 'w'); // returns once the command opens the FIFO for reading
        state.opened = true;
        try {
          if (!state.childExited) await fh.write(bytes);
        } finally {
          await fh.close();
        }
      })().catch(() => {
        // EPIPE: the command stopped reading early; it has what it read.
      });
      const code = await runShell(command.split('{}').join(fifo), env, 'inherit');
      state.childExited = true;
      if (!state.opened) {
        // Release the writer's pending open without a reader that will ever read.
        const r = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
        await writer;
        closeSync(r);
      } else {
        await writer;
      }
      return code;
    } finally {
      tmp.cleanup();
    }
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
