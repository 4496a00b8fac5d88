// `edit`: decrypt into a 0600 file inside a private (0700) temporary directory, run the editor,
// and re-encrypt with the same data key, so unchanged values keep their exact ciphertext. The
// directory is removed afterwards, also on SIGINT/SIGTERM/SIGHUP.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createValueCipher } from '../cipher.js';
import { ExitCode, SopsError } from '../errors.js';
import { createStore } from '../formats/index.js';
import { type KeyType } from '../metadata.js';
import { generateDataKey, wrapDataKey } from '../key-groups.js';
import { decryptFile, loadEncrypted, parsePlain, sealDocument } from '../sops-file.js';
import { shellSplit } from '../keysources/process.js';
import type { Document } from '../tree.js';
import type { EncryptOptions } from './basic.js';
import {
  type SopsIo,
  decryptionOrder,
  emitOptions,
  inputFormat,
  loadSopsConfig,
  resolveEncryptionKeys,
  resolvePath,
  servicesOf,
  writeFileAtomic,
} from './common.js';
import { hasProgram } from '../keysources/process.js';

export interface EditOptions extends EncryptOptions {
  ignoreMac?: boolean;
}

function editorCommand(io: SopsIo): string[] {
  const configured = io.env.SOPS_EDITOR || io.env.EDITOR;
  if (configured) return shellSplit(configured);
  for (const e of ['vim', 'nano', 'vi']) if (hasProgram(e)) return [e];
  throw new SopsError(ExitCode.noEditorFound, 'no editor found', { hints: ['set $EDITOR or $SOPS_EDITOR'] });
}

function runEditor(cmd: string[], file: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0]!, [...cmd.slice(1), file], { stdio: 'inherit', env });
    child.on('error', (err) => reject(new SopsError(ExitCode.noEditorFound, `could not run the editor ${JSON.stringify(cmd[0])}: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
    child.on('close', (code) => resolve(code ?? 1));
  });
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * A private temporary directory removed on exit and on the given termination signals (after
 * cleaning up, the signal is re-raised so the exit status says what happened).
 */
export function createPrivateTempDir(
  prefix: string,
  base = tmpdir(),
  signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'],
): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(base, prefix));
  let done = false;
  const onSignal = (sig: NodeJS.Signals) => {
    cleanup();
    process.kill(process.pid, sig);
  };
  const cleanup = () => {
    if (done) return;
    done = true;
    rmSync(dir, { recursive: true, force: true });
    for (const s of signals) process.removeListener(s, onSignal);
    process.removeListener('exit', cleanup);
  };
  for (const s of signals) process.once(s, onSignal);
  process.once('exit', cleanup);
  return { dir, cleanup };
}

export async function runEdit(io: SopsIo, file: string, opts: EditOptions): Promise<number> {
  const abs = resolvePath(io, file);
  const format = inputFormat(opts, file);
  const config = loadSopsConfig(io, opts);
  const emit = emitOptions(format, opts, config);
  const store = createStore(format);

  // Existing file: decrypt it. New file: start empty and encrypt with the creation rule / flags.
  let plainBytes: Uint8Array;
  let seal: (doc: Document) => Promise<Uint8Array>;
  if (existsSync(abs)) {
    const loaded = loadEncrypted(new Uint8Array(readFileSync(abs)), format, file);
    const order: KeyType[] = decryptionOrder(opts, io);
    const dec = await decryptFile(loaded, { services: servicesOf(io), fileLabel: file, ignoreMac: opts.ignoreMac, decryptionOrder: order });
    plainBytes = store.emit(dec.plain, undefined, emit);
    const { keyGroups, shamirThreshold, cryptRule, macOnlyEncrypted } = dec.metadata;
    seal = async (doc) => sealDocument(doc, store, dec.cipher, { keyGroups, shamirThreshold, cryptRule, macOnlyEncrypted }, emit);
  } else {
    const keys = resolveEncryptionKeys(io, opts, file, config);
    plainBytes = new Uint8Array();
    seal = async (doc) => {
      const dataKey = generateDataKey();
      const { keyGroups, shamirThreshold } = await wrapDataKey(dataKey, keys.groups, keys.threshold, servicesOf(io));
      return sealDocument(doc, store, createValueCipher(dataKey), {
        keyGroups,
        shamirThreshold,
        cryptRule: format === 'binary' ? null : keys.cryptRule,
        macOnlyEncrypted: keys.macOnlyEncrypted,
      }, emit);
    };
  }

  const editor = editorCommand(io);
  // Ctrl+C belongs to the editor (vim uses it): like git, ignore SIGINT while it runs, but clean
  // up on SIGTERM/SIGHUP.
  const tmp = createPrivateTempDir('coffer-sops-edit-', tmpdir(), ['SIGTERM', 'SIGHUP']);
  const ignoreInt = () => {};
  process.on('SIGINT', ignoreInt);
  try {
    const tmpFile = join(tmp.dir, basename(abs));
    writeFileSync(tmpFile, plainBytes, { mode: 0o600, flag: 'wx' });
    const before = sha256(plainBytes);
    for (;;) {
      const code = await runEditor(editor, tmpFile, io.env);
      if (code !== 0) throw new SopsError(ExitCode.generic, `the editor exited with status ${code}; ${file} was not changed`);
      const edited = new Uint8Array(readFileSync(tmpFile));
      if (sha256(edited) === before) {
        io.stderr('File has not changed, exiting.\n');
        return ExitCode.fileHasNotBeenModified;
      }
      let problem: SopsError | undefined;
      let doc: Document | undefined;
      try {
        doc = parsePlain(edited, format).doc;
        if (store.hasMetadata(doc)) problem = new SopsError(ExitCode.couldNotReadInputFile, 'the edited file contains a top-level sops key, which is reserved for metadata');
      } catch (err) {
        if (!(err instanceof SopsError)) throw err;
        problem = err;
      }
      if (!problem && doc) {
        writeFileAtomic(abs, await seal(doc));
        return 0;
      }
      io.stderr(`coffer: error: ${problem!.message}\n`);
      if (!io.stdinIsTTY) throw new SopsError(problem!.exitCode, `${file} was not changed because the edited text is invalid`);
      io.stderr('Press enter to return to the editor, or Ctrl+C to exit.\n');
      await io.readLine?.();
    }
  } finally {
    process.removeListener('SIGINT', ignoreInt);
    tmp.cleanup();
  }
}
