// Whole-file operations shared by every command: load an encrypted file, recover its data key,
// decrypt and verify the MAC; encrypt a plaintext document under new or existing keys.

import { type ValueCipher, createValueCipher } from './cipher.js';
import { decryptDocument, encryptDocument } from './crypt.js';
import { ExitCode, MacMismatchError, ParseError, SopsError } from './errors.js';
import { type Format, type Store, createStore } from './formats/index.js';
import type { EmitOptions } from './formats/store.js';
import { type KeyServices, type KeySpec, generateDataKey, recoverDataKey, wrapDataKey } from './key-groups.js';
import {
  type CryptRule,
  type KeyType,
  type Metadata,
  SOPS_FORMAT_VERSION,
  macAad,
  metadataToObject,
  nowRfc3339,
  parseMetadata,
} from './metadata.js';
import type { Document } from './tree.js';

export interface EncryptedFile {
  format: Format;
  store: Store;
  /** The document with encrypted leaves, metadata removed. */
  doc: Document;
  metadata: Metadata;
}

export interface DecryptedFile extends EncryptedFile {
  plain: Document;
  dataKey: Uint8Array;
  /** Remembers IVs of decrypted values, so re-encrypting unchanged values gives the same text. */
  cipher: ValueCipher;
}

/**
 * Parses an encrypted file; errors if it carries no sops metadata. A file that does not parse is
 * exit 1 here, as in sops (which exits 2 only for plaintext input it cannot parse, and for input it
 * cannot read).
 */
export function loadEncrypted(bytes: Uint8Array, format: Format, fileLabel: string): EncryptedFile {
  const store = createStore(format);
  try {
    const { doc, meta } = store.parseEncrypted(bytes);
    if (!meta) {
      throw new SopsError(ExitCode.generic, `sops metadata not found in ${fileLabel}`, {
        hints: ['the file is not encrypted with sops (or has the wrong --input-type); encrypt it with `coffer sops encrypt`'],
      });
    }
    return { format, store, doc, metadata: parseMetadata(meta, { binary: format === 'binary' }) };
  } catch (err) {
    if (err instanceof ParseError) throw new SopsError(ExitCode.generic, err.message, { cause: err, hints: err.hints });
    throw err;
  }
}

/** True when the bytes parse as a sops-encrypted file with a version and a MAC. */
export function isEncryptedFile(bytes: Uint8Array, format: Format): boolean {
  try {
    const { meta } = createStore(format).parseEncrypted(bytes);
    if (!meta) return false;
    const m = parseMetadata(meta, { binary: format === 'binary' });
    return m.version !== '' && m.mac !== '';
  } catch {
    return false;
  }
}

export interface DecryptOptions {
  services: KeyServices;
  fileLabel: string;
  ignoreMac?: boolean;
  decryptionOrder?: KeyType[];
  /**
   * Use this cipher (and its data key) instead of asking the master keys: the merge driver decrypts
   * both sides with one cipher so it remembers the IVs of both.
   */
  cipher?: ValueCipher;
}

/** Recovers the data key (exit 128), decrypts every value (exit 25) and checks the MAC (exit 51). */
export async function decryptFile(file: EncryptedFile, opts: DecryptOptions): Promise<DecryptedFile> {
  const dataKey = opts.cipher?.dataKey ?? (await recoverDataKey(file.metadata, opts.services, opts.decryptionOrder, opts.fileLabel));
  const cipher = opts.cipher ?? createValueCipher(dataKey);
  const { doc: plain, mac } = decryptDocument(file.doc, cipher, {
    rule: file.metadata.cryptRule,
    macOnlyEncrypted: file.metadata.macOnlyEncrypted,
    binary: file.format === 'binary',
    fileLabel: opts.fileLabel,
  });
  if (!opts.ignoreMac) verifyMac(file.metadata, cipher, mac, opts.fileLabel);
  return { ...file, plain, dataKey, cipher };
}

function verifyMac(m: Metadata, cipher: ValueCipher, computed: string, fileLabel: string): void {
  const hints = ['the file was changed outside sops, or values were moved; restore it from version control', 'use --ignore-mac only if you know why the MAC differs'];
  if (m.mac === '') throw new MacMismatchError(`${fileLabel}: File has no MAC`, { hints });
  const r = cipher.decrypt(m.mac, macAad(m.lastModified));
  if (!r.ok) throw new MacMismatchError(`${fileLabel}: Cannot decrypt MAC: the MAC or lastmodified was tampered with`, { hints });
  const stored = typeof r.value === 'string' ? r.value : '';
  if (stored !== computed) throw new MacMismatchError(`${fileLabel}: MAC mismatch. File has ${stored}, computed ${computed}`, { hints });
}

export interface EncryptSettings {
  cryptRule: CryptRule | null;
  macOnlyEncrypted: boolean;
}

/**
 * Encrypts a plaintext document with an existing cipher (data key) and metadata: new lastmodified,
 * new MAC, version bumped to the layout we write. Unchanged values keep their ciphertext.
 */
export function sealDocument(
  plain: Document,
  store: Store,
  cipher: ValueCipher,
  metadata: Omit<Metadata, 'mac' | 'lastModified' | 'version'>,
  emit: EmitOptions = {},
  now = new Date(),
): Uint8Array {
  const { doc, mac } = encryptDocument(plain, cipher, { rule: metadata.cryptRule, macOnlyEncrypted: metadata.macOnlyEncrypted });
  const lastModified = nowRfc3339(now);
  const full: Metadata = { ...metadata, lastModified, mac: cipher.encrypt(mac, lastModified), version: SOPS_FORMAT_VERSION };
  try {
    return store.emit(doc, metadataToObject(full), emit);
  } catch (err) {
    if (err instanceof SopsError) throw err;
    throw new SopsError(ExitCode.errorDumpingTree, `Error dumping file: ${(err as Error).message}`);
  }
}

export interface NewKeysOptions extends EncryptSettings {
  groups: KeySpec[][];
  shamirThreshold: number;
  services: KeyServices;
  emit?: EmitOptions;
}

/** Encrypts a plaintext document under a fresh data key wrapped for the given key groups. */
export async function encryptNew(plain: Document, store: Store, opts: NewKeysOptions): Promise<Uint8Array> {
  if (store.hasMetadata(plain)) {
    throw new SopsError(
      ExitCode.fileAlreadyEncrypted,
      "The file you have provided contains a top-level entry called 'sops'" + (store.format === 'dotenv' ? " (or a key starting with 'sops_')" : '') + ', which is reserved for sops metadata. This file is probably already encrypted.',
      { hints: ['decrypt it first, or rename that key'] },
    );
  }
  const dataKey = generateDataKey();
  const { keyGroups, shamirThreshold } = await wrapDataKey(dataKey, opts.groups, opts.shamirThreshold, opts.services);
  return sealDocument(plain, store, createValueCipher(dataKey), {
    keyGroups,
    shamirThreshold,
    cryptRule: store.format === 'binary' ? null : opts.cryptRule,
    macOnlyEncrypted: opts.macOnlyEncrypted,
  }, opts.emit);
}

/** Parses plaintext input, with sops's "empty file" rule. */
export function parsePlain(bytes: Uint8Array, format: Format): { store: Store; doc: Document } {
  const store = createStore(format);
  const doc = store.parse(bytes);
  if (format === 'yaml' && doc.length === 0) {
    throw new SopsError(ExitCode.needAtLeastOneDocument, 'File cannot be completely empty, it must contain at least one document');
  }
  if (doc.length === 0) throw new ParseError('the input has no document');
  return { store, doc };
}
