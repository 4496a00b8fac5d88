// Git integration beyond sops:
//   `diff FILE`  — a textconv driver: prints the file decrypted (or as is, if it is not encrypted),
//                  so `git diff` and `git log -p` show plaintext changes;
//   `merge O A B [P]` — a merge driver: decrypts base, ours and theirs, merges the trees
//                  three-way, and writes ours re-encrypted with a fresh MAC. Values that did not
//                  change keep their ciphertext. On conflict nothing is written, the conflicting
//                  key paths are listed (never their values), and the exit status is 1, so git
//                  marks the file as conflicted and leaves the encrypted "ours" version in place.

import { existsSync, readFileSync } from 'node:fs';
import { MacMismatchError, TreeDecryptionError } from '../errors.js';
import { type Format, formatFromPath, isFormat, sniffEncryptedFormat } from '../formats/index.js';
import { mergeDocuments } from '../merge.js';
import { type DecryptedFile, type EncryptedFile, decryptFile, loadEncrypted, sealDocument } from '../sops-file.js';
import type { Document } from '../tree.js';
import { type CommonOptions, type SopsIo, decryptionOrder, emitOptions, loadSopsConfig, readInput, resolvePath, servicesOf, writeFileAtomic } from './common.js';

function hasSopsMetadata(bytes: Uint8Array, format: Format): boolean {
  try {
    return loadEncrypted(bytes, format, 'file') !== undefined;
  } catch {
    return false;
  }
}

export async function runDiff(io: SopsIo, file: string, opts: CommonOptions): Promise<number> {
  const bytes = await readInput(io, file);
  let format: Format = isFormat(opts.inputType) ? opts.inputType : formatFromPath(file);
  if (!hasSopsMetadata(bytes, format)) {
    const sniffed = sniffEncryptedFormat(bytes);
    if (isFormat(opts.inputType) || !hasSopsMetadata(bytes, sniffed)) {
      io.stdout(bytes); // not encrypted: show it as it is
      return 0;
    }
    format = sniffed;
  }
  const loaded = loadEncrypted(bytes, format, file);
  const dec = await decryptFile(loaded, { services: servicesOf(io), fileLabel: file, decryptionOrder: decryptionOrder(opts, io) });
  io.stdout(dec.store.emit(dec.plain, undefined, emitOptions(format, opts, loadSopsConfig(io, opts))));
  return 0;
}

export async function runMerge(io: SopsIo, basePath: string, oursPath: string, theirsPath: string, name: string | undefined, opts: CommonOptions): Promise<number> {
  const oursBytes = await readInput(io, oursPath);
  const theirsBytes = await readInput(io, theirsPath);
  const baseAbs = resolvePath(io, basePath);
  const baseBytes = existsSync(baseAbs) ? new Uint8Array(readFileSync(baseAbs)) : new Uint8Array();
  const format: Format = isFormat(opts.inputType) ? opts.inputType : name ? formatFromPath(name) : sniffEncryptedFormat(oursBytes);
  const label = name ?? oursPath;

  const ours = loadEncrypted(oursBytes, format, `${label} (ours)`);
  const theirs = loadEncrypted(theirsBytes, format, `${label} (theirs)`);
  const order = decryptionOrder(opts, io);
  const services = servicesOf(io);
  const decOurs = await decryptFile(ours, { services, fileLabel: `${label} (ours)`, decryptionOrder: order });

  // Both sides usually share the data key; decrypting them with ours's cipher also remembers
  // theirs's IVs, so values taken from theirs keep their ciphertext. A side with another data key
  // (rotated on that branch) is opened with its own master keys.
  const decryptSide = async (file: EncryptedFile, side: string): Promise<DecryptedFile> => {
    const fileLabel = `${label} (${side})`;
    try {
      return await decryptFile(file, { services, fileLabel, cipher: decOurs.cipher, decryptionOrder: order });
    } catch (err) {
      // Another data key shows as values that fail to decrypt (or, for files without encrypted
      // values, as a MAC that does not open).
      if ((err instanceof TreeDecryptionError || err instanceof MacMismatchError) && file.metadata.keyGroups.length) {
        return decryptFile(file, { services, fileLabel, decryptionOrder: order });
      }
      throw err;
    }
  };
  const decTheirs = await decryptSide(theirs, 'theirs');
  const basePlain: Document = baseBytes.length > 0 ? (await decryptSide(loadEncrypted(baseBytes, format, `${label} (base)`), 'base')).plain : [];

  const { doc, conflicts } = mergeDocuments(basePlain, decOurs.plain, decTheirs.plain);
  if (conflicts.length) {
    io.stderr(`coffer: error: cannot merge ${label}: both sides changed ${conflicts.length === 1 ? 'this key' : 'these keys'} differently:\n${conflicts.map((c) => `  ${c}`).join('\n')}\n`);
    io.stderr('hint: resolve with `coffer sops edit` on the file after choosing a side (git checkout --ours/--theirs)\n');
    return 1;
  }
  const { keyGroups, shamirThreshold, cryptRule, macOnlyEncrypted } = decOurs.metadata;
  const out = sealDocument(doc, decOurs.store, decOurs.cipher, { keyGroups, shamirThreshold, cryptRule, macOnlyEncrypted }, emitOptions(format, opts, loadSopsConfig(io, opts)));
  writeFileAtomic(resolvePath(io, oursPath), out);
  return 0;
}
