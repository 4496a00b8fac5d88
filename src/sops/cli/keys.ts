// `rotate` (new data key, every value re-encrypted, optional key changes) and `updatekeys` (same
// data key and values, re-wrapped for the keys of the file's creation rule).

import { createInterface } from 'node:readline/promises';
import { Readable } from 'node:stream';
import { createValueCipher } from '../cipher.js';
import { matchCreationRule } from '../config.js';
import { ExitCode, SopsError } from '../errors.js';
import { type KeySpec, ageSpec, generateDataKey, keySpecId, pgpSpec, recoverDataKey, specOfKey, vaultSpec, wrapDataKey } from '../key-groups.js';
import { KEY_TYPE_LABEL, SOPS_FORMAT_VERSION, metadataToObject } from '../metadata.js';
import { loadEncrypted, sealDocument } from '../sops-file.js';
import {
  type CommonOptions,
  type SopsIo,
  decryptionOrder,
  emitOptions,
  inputFormat,
  loadSopsConfig,
  readInput,
  resolvePath,
  servicesOf,
  writeFileAtomic,
  writeOutput,
} from './common.js';
import { openForUpdate } from './set-unset.js';

export interface RotateOptions extends CommonOptions {
  addAge?: string;
  rmAge?: string;
  addPgp?: string;
  rmPgp?: string;
  addHcVaultTransit?: string;
  rmHcVaultTransit?: string;
}

const split = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

function specs(io: SopsIo, age: string | undefined, pgp: string | undefined, vault: string | undefined): KeySpec[] {
  try {
    return [...split(age).map(ageSpec), ...split(pgp).map(pgpSpec), ...split(vault).map((u) => vaultSpec(u, io.env))];
  } catch (err) {
    throw new SopsError(ExitCode.generic, (err as Error).message);
  }
}

const specKey = (k: KeySpec) => `${k.type}\u0000${keySpecId(k)}`;

export async function runRotate(io: SopsIo, file: string, opts: RotateOptions): Promise<number> {
  const dec = await openForUpdate(io, file, opts);
  const add = specs(io, opts.addAge, opts.addPgp, opts.addHcVaultTransit);
  const rm = new Set(specs(io, opts.rmAge, opts.rmPgp, opts.rmHcVaultTransit).map(specKey));
  const groups = dec.metadata.keyGroups.map((g) => g.map(specOfKey).filter((k) => !rm.has(specKey(k))));
  if (add.length) {
    const first = groups[0] ?? [];
    const have = new Set(first.map(specKey));
    for (const k of add) if (!have.has(specKey(k))) first.push(k);
    groups[0] = first;
  }
  const dataKey = generateDataKey();
  const { keyGroups, shamirThreshold } = await wrapDataKey(dataKey, groups, Math.min(dec.metadata.shamirThreshold, groups.length), servicesOf(io));
  const config = loadSopsConfig(io, opts);
  const out = sealDocument(dec.plain, dec.store, createValueCipher(dataKey), {
    keyGroups,
    shamirThreshold,
    cryptRule: dec.metadata.cryptRule,
    macOnlyEncrypted: dec.metadata.macOnlyEncrypted,
  }, emitOptions(dec.format, opts, config));
  writeOutput(io, opts, file, out);
  return 0;
}

export interface UpdateKeysOptions extends CommonOptions {
  yes?: boolean;
  shamirSecretSharingThreshold?: string;
}

async function confirm(io: SopsIo): Promise<boolean> {
  io.stderr('Is this okay? (y/n): ');
  const input = Readable.from([Buffer.from(await io.readStdin())]);
  const rl = createInterface({ input });
  for await (const line of rl) {
    rl.close();
    return /^y(es)?$/i.test(line.trim());
  }
  return false;
}

export async function runUpdateKeys(io: SopsIo, files: string[], opts: UpdateKeysOptions): Promise<number> {
  const config = loadSopsConfig(io, opts);
  if (!config) throw new SopsError(ExitCode.generic, 'updatekeys needs a .sops.yaml with creation rules', { hints: ['create .sops.yaml in this directory or a parent, or pass --config'] });
  for (const file of files) {
    const bytes = await readInput(io, file);
    const loaded = loadEncrypted(bytes, inputFormat(opts, file), file);
    const rule = matchCreationRule(config, resolvePath(io, file));
    if (!rule) throw new SopsError(ExitCode.generic, `error loading config: no matching creation rules found in ${config.path} for ${file}`);
    const current = loaded.metadata.keyGroups.map((g) => g.map(specOfKey));
    const wanted = rule.keyGroups;
    let threshold = opts.shamirSecretSharingThreshold !== undefined ? Number(opts.shamirSecretSharingThreshold) : rule.shamirThreshold || loaded.metadata.shamirThreshold;
    if (!Number.isInteger(threshold) || threshold < 0) throw new SopsError(ExitCode.generic, '--shamir-secret-sharing-threshold must be a non-negative integer');
    threshold = wanted.length > 1 ? Math.min(threshold || wanted.length, wanted.length) : 0;
    const diff: string[] = [];
    for (let gi = 0; gi < Math.max(current.length, wanted.length); gi++) {
      const cur = new Set((current[gi] ?? []).map(specKey));
      const want = new Set((wanted[gi] ?? []).map(specKey));
      const lines = [
        ...(wanted[gi] ?? []).filter((k) => !cur.has(specKey(k))).map((k) => `+++ ${KEY_TYPE_LABEL[k.type]} ${keySpecId(k)}`),
        ...(current[gi] ?? []).filter((k) => !want.has(specKey(k))).map((k) => `--- ${KEY_TYPE_LABEL[k.type]} ${keySpecId(k)}`),
      ];
      if (lines.length) diff.push(`Group ${gi + 1}`, ...lines);
    }
    const oldThreshold = current.length > 1 ? loaded.metadata.shamirThreshold || current.length : 0;
    if (threshold !== oldThreshold) diff.push(`Shamir threshold: ${oldThreshold} -> ${threshold}`);
    if (diff.length === 0) {
      io.stderr(`${file}: already up to date\n`);
      continue;
    }
    io.stderr(`The following changes will be made to the file's groups:\n${diff.join('\n')}\n`);
    if (!opts.yes && !(await confirm(io))) {
      io.stderr(`${file}: changes not applied\n`);
      continue;
    }
    const dataKey = await recoverDataKey(loaded.metadata, servicesOf(io), decryptionOrder(opts, io), file);
    const { keyGroups, shamirThreshold } = await wrapDataKey(dataKey, wanted, threshold, servicesOf(io), {
      existing: loaded.metadata.keyGroups,
      dataKeyUnchanged: true,
    });
    // Values, MAC and lastmodified stay as they are: the data key did not change.
    const meta = metadataToObject({ ...loaded.metadata, keyGroups, shamirThreshold, version: SOPS_FORMAT_VERSION });
    writeFileAtomic(resolvePath(io, file), loaded.store.emit(loaded.doc, meta, emitOptions(loaded.format, opts, config)));
    io.stderr(`${file}: updated\n`);
  }
  return 0;
}
