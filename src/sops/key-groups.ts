// Key groups (spec §4.6): with one group every master key wraps the whole 32-byte data key; with
// several, the data key is split with Shamir (one share per group, any `threshold` groups recover
// it) and every key of group i wraps share i. Recovery tries each group's keys in decryption order
// (age, pgp, then the rest) and reports every key tried and why it failed.

import { randomBytes } from 'node:crypto';
import { KeyRetrievalError, SopsError, ExitCode, UnsupportedKeyError } from './errors.js';
import { ageDecrypt, ageEncrypt, loadAgeIdentities, type AgeIdentities } from './keysources/age.js';
import { createPgpKeyring, normalizeFingerprint, pgpEncrypt } from './keysources/pgp.js';
import { unsupportedDecrypt, unsupportedMessage } from './keysources/unsupported.js';
import { parseVaultTransitUri, type VaultTransitKeyRef, vaultDecrypt, vaultEncrypt } from './keysources/vault-transit.js';
import { type KeyType, type MasterKey, type Metadata, type UnsupportedKeyType, KEY_TYPE_LABEL, keyId, nowRfc3339 } from './metadata.js';
import { combine, split } from './shamir.js';

/** A key to encrypt to, before it has wrapped anything. */
export type KeySpec =
  | { type: 'age'; recipient: string }
  | { type: 'pgp'; fp: string }
  | ({ type: 'hc_vault' } & VaultTransitKeyRef)
  | { type: UnsupportedKeyType; id: string };

export function keySpecId(k: KeySpec): string {
  switch (k.type) {
    case 'age': return k.recipient;
    case 'pgp': return k.fp;
    case 'hc_vault': return `${k.vaultAddress}/v1/${k.enginePath}/keys/${k.keyName}`;
    default: return k.id;
  }
}

export function ageSpec(recipient: string): KeySpec {
  return { type: 'age', recipient: recipient.trim() };
}

export function pgpSpec(fp: string): KeySpec {
  return { type: 'pgp', fp: normalizeFingerprint(fp) };
}

export function vaultSpec(uri: string, env: NodeJS.ProcessEnv): KeySpec {
  return { type: 'hc_vault', ...parseVaultTransitUri(uri, env) };
}

/** The spec of a key already in a file (for updatekeys/rotate comparisons). */
export function specOfKey(k: MasterKey): KeySpec {
  switch (k.type) {
    case 'age': return { type: 'age', recipient: k.recipient };
    case 'pgp': return { type: 'pgp', fp: k.fp };
    case 'hc_vault': return { type: 'hc_vault', vaultAddress: k.vaultAddress, enginePath: k.enginePath, keyName: k.keyName };
    default: return { type: k.type, id: keyId(k) };
  }
}

/** Removes duplicate keys inside a group (same type and identity). */
export function dedupeGroup(group: KeySpec[]): KeySpec[] {
  const seen = new Set<string>();
  return group.filter((k) => {
    const id = `${k.type}\u0000${keySpecId(k)}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

export interface KeyServices {
  wrap(spec: KeySpec, plaintext: Uint8Array): Promise<MasterKey>;
  unwrap(key: MasterKey): Promise<Uint8Array>;
}

export function createKeyServices(env: NodeJS.ProcessEnv = process.env): KeyServices {
  const pgp = createPgpKeyring(env);
  let ageIds: Promise<AgeIdentities> | undefined;
  return {
    async wrap(spec, plaintext) {
      switch (spec.type) {
        case 'age':
          return { type: 'age', recipient: spec.recipient, enc: await ageEncrypt(spec.recipient, plaintext) };
        case 'pgp':
          return { type: 'pgp', fp: spec.fp, createdAt: nowRfc3339(), enc: await pgpEncrypt(pgp, spec.fp, plaintext) };
        case 'hc_vault':
          return {
            type: 'hc_vault',
            vaultAddress: spec.vaultAddress,
            enginePath: spec.enginePath,
            keyName: spec.keyName,
            createdAt: nowRfc3339(),
            enc: await vaultEncrypt(spec, plaintext, env),
          };
        default:
          throw new UnsupportedKeyError(unsupportedMessage(spec.type));
      }
    },
    async unwrap(key) {
      switch (key.type) {
        case 'age':
          ageIds ??= loadAgeIdentities(env, key.recipient);
          return ageDecrypt(key, await ageIds);
        case 'pgp':
          return pgp.decrypt(key);
        case 'hc_vault':
          return vaultDecrypt(key, env);
        default:
          return unsupportedDecrypt(key);
      }
    },
  };
}

export interface WrapOptions {
  /** Existing keys: cloud KMS entries are carried over when the data key is unchanged. */
  existing?: MasterKey[][];
  dataKeyUnchanged?: boolean;
}

/** Wraps a data key for every group; returns the metadata key groups and the threshold to store. */
export async function wrapDataKey(
  dataKey: Uint8Array,
  groups: KeySpec[][],
  threshold: number,
  services: KeyServices,
  options: WrapOptions = {},
): Promise<{ keyGroups: MasterKey[][]; shamirThreshold: number }> {
  if (groups.length === 0 || groups.some((g) => g.length === 0)) {
    throw new SopsError(ExitCode.generic, 'Could not generate data key: [empty key group provided]', {
      hints: ['pass --age, --pgp or --hc-vault-transit, or add a creation rule with keys to .sops.yaml'],
    });
  }
  let parts: Uint8Array[];
  let storedThreshold = 0;
  if (groups.length === 1) {
    parts = [dataKey];
  } else {
    const t = threshold > 0 ? threshold : groups.length;
    if (t < 2) throw new SopsError(ExitCode.generic, 'Could not generate data key: threshold must be at least 2');
    if (t > groups.length) throw new SopsError(ExitCode.generic, `Could not generate data key: shamir threshold ${t} is larger than the number of key groups (${groups.length})`);
    parts = split(dataKey, groups.length, t);
    storedThreshold = t;
  }
  const errors: string[] = [];
  const keyGroups = await Promise.all(
    groups.map((group, gi) =>
      Promise.all(
        group.map(async (spec): Promise<MasterKey | undefined> => {
          if (spec.type !== 'age' && spec.type !== 'pgp' && spec.type !== 'hc_vault') {
            const kept = options.dataKeyUnchanged && groups.length === 1 ? options.existing?.flat().find((k) => k.type === spec.type && keyId(k) === spec.id) : undefined;
            if (kept) return kept;
            errors.push(`${KEY_TYPE_LABEL[spec.type]} ${spec.id}: ${unsupportedMessage(spec.type)}; it cannot wrap a new data key`);
            return undefined;
          }
          try {
            return await services.wrap(spec, parts[gi]!);
          } catch (err) {
            errors.push(`${KEY_TYPE_LABEL[spec.type]} ${keySpecId(spec)}: ${(err as Error).message}`);
            return undefined;
          }
        }),
      ),
    ),
  );
  if (errors.length) throw new SopsError(ExitCode.generic, `Could not generate data key: [${errors.join('; ')}]`);
  return { keyGroups: keyGroups.map((g) => g.filter((k): k is MasterKey => k !== undefined)), shamirThreshold: storedThreshold };
}

export function generateDataKey(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

const DEFAULT_ORDER: KeyType[] = ['age', 'pgp'];

export function parseDecryptionOrder(s: string | undefined): KeyType[] {
  if (!s) return DEFAULT_ORDER;
  const names = s.split(',').map((x) => x.trim()).filter(Boolean);
  const alias: Record<string, KeyType> = { age: 'age', pgp: 'pgp', hc_vault: 'hc_vault', hcvault: 'hc_vault', kms: 'kms', gcp_kms: 'gcp_kms', azure_kv: 'azure_kv', azkv: 'azure_kv', hckms: 'hckms' };
  const out: KeyType[] = [];
  for (const n of names) {
    const t = alias[n];
    if (!t) throw new SopsError(ExitCode.generic, `unknown key type ${JSON.stringify(n)} in decryption order`);
    if (out.includes(t)) throw new SopsError(112, `duplicate key type ${JSON.stringify(n)} in decryption order`);
    out.push(t);
  }
  return out;
}

/** Formats a failure reason as sops does (`- | first line`, `  | more`), one line per paragraph. */
function reasonLines(text: string): string[] {
  return text.split('\n').map((l, i) => (i === 0 ? `- | ${l}` : `  | ${l}`));
}

/** Recovers the data key; on failure lists every key tried and why (spec §6.3), exit 128. */
export async function recoverDataKey(meta: Metadata, services: KeyServices, order: KeyType[] = DEFAULT_ORDER, fileLabel = 'the file'): Promise<Uint8Array> {
  const rank = (t: KeyType) => {
    const i = order.indexOf(t);
    return i < 0 ? order.length : i;
  };
  const results = await Promise.all(
    meta.keyGroups.map(async (group) => {
      const sorted = [...group].map((k, i) => ({ k, i })).sort((a, b) => rank(a.k.type) - rank(b.k.type) || a.i - b.i).map((x) => x.k);
      const failures: { id: string; type: KeyType; reason: string }[] = [];
      for (const key of sorted) {
        try {
          const part = await services.unwrap(key);
          return { part, failures };
        } catch (err) {
          failures.push({ id: keyId(key), type: key.type, reason: (err as Error).message });
        }
      }
      return { part: undefined, failures };
    }),
  );
  const parts = results.map((r) => r.part).filter((p): p is Uint8Array => p !== undefined);
  const multi = meta.keyGroups.length > 1;
  const threshold = multi ? (meta.shamirThreshold > 0 ? meta.shamirThreshold : meta.keyGroups.length) : 1;
  if (parts.length >= threshold) {
    const key = multi ? combine(parts) : parts[0]!;
    if (key.length !== 32) throw new KeyRetrievalError(`the recovered data key of ${fileLabel} has ${key.length} bytes, expected 32`);
    return key;
  }
  const lines = [`Failed to get the data key required to decrypt ${fileLabel}.`, ''];
  results.forEach((r, gi) => {
    lines.push(`Group ${gi}: ${r.part ? 'SUCCESS' : 'FAILED'}`);
    for (const f of r.failures) {
      lines.push(`  ${KEY_TYPE_LABEL[f.type]} ${f.id}: FAILED`);
      lines.push(...reasonLines(f.reason).map((l) => `    ${l}`));
    }
  });
  lines.push('');
  lines.push(
    multi
      ? `Recovery failed because the file was encrypted with a Shamir threshold of ${threshold}, but only ${parts.length} part(s) were successfully recovered, one for each successful key group. In order for SOPS to recover the file, at least ${threshold} groups have to be successful.`
      : 'Recovery failed because no master key was able to decrypt the file. At least one key has to be successful, but none were.',
  );
  throw new KeyRetrievalError(lines.join('\n'), {
    hints: ['for age keys set SOPS_AGE_KEY_FILE or SOPS_AGE_KEY; for PGP set COFFER_PGP_KEY_FILE or import the key into GnuPG; for Vault set VAULT_TOKEN'],
  });
}
