// `encrypt`, `decrypt` and `filestatus`.

import { ExitCode, SopsError } from '../errors.js';
import { createStore } from '../formats/index.js';
import { decryptFile, encryptNew, isEncryptedFile, loadEncrypted, parsePlain } from '../sops-file.js';
import { branch, isBranch } from '../tree.js';
import {
  type CommonOptions,
  type KeyOptions,
  type SopsIo,
  decryptionOrder,
  emitOptions,
  getAtPath,
  inputFormat,
  loadSopsConfig,
  outputFormat,
  parseTreePath,
  readInput,
  resolveEncryptionKeys,
  servicesOf,
  writeOutput,
} from './common.js';

export type EncryptOptions = CommonOptions & KeyOptions;

export async function runEncrypt(io: SopsIo, file: string | undefined, opts: EncryptOptions): Promise<number> {
  if (file === undefined && !opts.filenameOverride) {
    throw new SopsError(ExitCode.noFileSpecified, 'Error: no file specified', { hints: ['when encrypting standard input, pass --filename-override NAME so the format and creation rule can be chosen'] });
  }
  const config = loadSopsConfig(io, opts);
  const bytes = await readInput(io, file);
  const inFmt = inputFormat(opts, file);
  const { store, doc } = parsePlain(bytes, inFmt);
  const keys = resolveEncryptionKeys(io, opts, file, config);
  const outFmt = outputFormat(opts, file);
  const outStore = outFmt === inFmt ? store : createStore(outFmt);
  const out = await encryptNew(doc, outStore, {
    groups: keys.groups,
    shamirThreshold: keys.threshold,
    cryptRule: keys.cryptRule,
    macOnlyEncrypted: keys.macOnlyEncrypted,
    services: servicesOf(io),
    emit: emitOptions(outFmt, opts, config),
  });
  writeOutput(io, opts, file, out);
  return 0;
}

export interface DecryptOptions extends CommonOptions {
  extract?: string;
}

export async function runDecrypt(io: SopsIo, file: string | undefined, opts: DecryptOptions): Promise<number> {
  const extractPath = opts.extract !== undefined ? parseTreePath(opts.extract) : undefined;
  const config = loadSopsConfig(io, opts);
  const bytes = await readInput(io, file);
  const label = file ?? '(stdin)';
  const loaded = loadEncrypted(bytes, inputFormat(opts, file), label);
  const dec = await decryptFile(loaded, { services: servicesOf(io), fileLabel: label, ignoreMac: opts.ignoreMac, decryptionOrder: decryptionOrder(opts, io) });
  const outFmt = outputFormat(opts, file);
  const outStore = createStore(outFmt);
  const emit = emitOptions(outFmt, opts, config);
  let out: Uint8Array;
  if (extractPath) {
    const v = getAtPath(dec.plain[0] ?? branch(), extractPath);
    if (typeof v === 'string') out = new TextEncoder().encode(v);
    else if (v instanceof Uint8Array) out = v;
    else if (isBranch(v)) out = outStore.emit([v], undefined, emit);
    else out = outStore.emitValue(v, emit);
  } else {
    out = outStore.emit(dec.plain, undefined, emit);
  }
  writeOutput(io, opts, file, out);
  return 0;
}

export async function runFilestatus(io: SopsIo, file: string, opts: CommonOptions): Promise<number> {
  const bytes = await readInput(io, file);
  io.stdout(`${JSON.stringify({ encrypted: isEncryptedFile(bytes, inputFormat(opts, file)) })}\n`);
  return 0;
}
