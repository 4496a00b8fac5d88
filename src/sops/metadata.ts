// The `sops` metadata block (spec §3): read from any layout sops ever wrote (struct order, sorted
// order, `kms: null`, flattened strings), written in the 3.13 layout (keys sorted byte-wise at every
// level, a real semver `version`). Cloud KMS entries coffer cannot use are kept verbatim.

import { ParseError } from './errors.js';
import type { MetaObject, MetaValue } from './formats/store.js';
import { normalizeTimestamp } from './tree.js';

/** The sops version whose file layout we write. */
export const SOPS_FORMAT_VERSION = '3.13.2';

export type UnsupportedKeyType = 'kms' | 'gcp_kms' | 'azure_kv' | 'hckms';
export type KeyType = 'age' | 'pgp' | 'hc_vault' | UnsupportedKeyType;

export interface AgeKey { type: 'age'; recipient: string; enc: string }
export interface PgpKey { type: 'pgp'; fp: string; createdAt: string; enc: string }
export interface VaultKey { type: 'hc_vault'; vaultAddress: string; enginePath: string; keyName: string; createdAt: string; enc: string }
/** A cloud KMS entry, kept exactly as read so rewrites do not lose it. */
export interface OpaqueKey { type: UnsupportedKeyType; raw: MetaObject }

export type MasterKey = AgeKey | PgpKey | VaultKey | OpaqueKey;

export const CRYPT_RULE_KINDS = [
  'unencrypted_suffix',
  'encrypted_suffix',
  'unencrypted_regex',
  'encrypted_regex',
  'unencrypted_comment_regex',
  'encrypted_comment_regex',
] as const;
export type CryptRuleKind = (typeof CRYPT_RULE_KINDS)[number];
export interface CryptRule { kind: CryptRuleKind; value: string }

export const DEFAULT_CRYPT_RULE: CryptRule = { kind: 'unencrypted_suffix', value: '_unencrypted' };

export interface Metadata {
  keyGroups: MasterKey[][];
  shamirThreshold: number;
  lastModified: string;
  mac: string;
  /** null only for binary files; otherwise the file's rule or sops's default. */
  cryptRule: CryptRule | null;
  macOnlyEncrypted: boolean;
  version: string;
}

export const KEY_TYPE_LABEL: Record<KeyType, string> = {
  age: 'age',
  pgp: 'PGP',
  hc_vault: 'Vault transit',
  kms: 'AWS KMS',
  gcp_kms: 'GCP KMS',
  azure_kv: 'Azure Key Vault',
  hckms: 'HuaweiCloud KMS',
};

/** The identity string shown to users and used to de-duplicate keys. */
export function keyId(k: MasterKey): string {
  switch (k.type) {
    case 'age': return k.recipient;
    case 'pgp': return k.fp;
    case 'hc_vault': return `${k.vaultAddress}/v1/${k.enginePath}/keys/${k.keyName}`;
    case 'kms': return String(k.raw.arn ?? '');
    case 'gcp_kms': return String(k.raw.resource_id ?? '');
    case 'azure_kv': return `${String(k.raw.vault_url ?? '')}/keys/${String(k.raw.name ?? '')}/${String(k.raw.version ?? '')}`;
    case 'hckms': return String(k.raw.key_id ?? '');
  }
}

function str(v: MetaValue | undefined): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return '';
  return String(v);
}

function weakInt(v: MetaValue | undefined, field: string): number {
  if (v === undefined || v === null || v === '') return 0;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n)) throw new ParseError(`Error unmarshalling input: sops metadata field ${field} is not an integer`);
  return n;
}

function weakBool(v: MetaValue | undefined): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return ['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v);
  if (typeof v === 'number') return v !== 0;
  return false;
}

function checkTime(v: MetaValue | undefined, field: string): string {
  const s = str(v);
  if (s === '') return s;
  if (normalizeTimestamp(s) === undefined) throw new ParseError(`Error unmarshalling input: parsing time "${s}" in sops metadata field ${field}: not RFC 3339`);
  return s;
}

function list(v: MetaValue | undefined): MetaObject[] {
  if (!Array.isArray(v)) return [];
  return v.filter((x): x is MetaObject => x !== null && typeof x === 'object' && !Array.isArray(x));
}

function readKeys(obj: MetaObject): MasterKey[] {
  const keys: MasterKey[] = [];
  // Internal order as sops keeps it: kms, gcp_kms, hckms, azure_kv, hc_vault, pgp, age.
  for (const e of list(obj.kms)) keys.push({ type: 'kms', raw: e });
  for (const e of list(obj.gcp_kms)) keys.push({ type: 'gcp_kms', raw: e });
  for (const e of list(obj.hckms)) keys.push({ type: 'hckms', raw: e });
  for (const e of list(obj.azure_kv)) keys.push({ type: 'azure_kv', raw: e });
  for (const e of list(obj.hc_vault)) {
    keys.push({
      type: 'hc_vault',
      vaultAddress: str(e.vault_address),
      enginePath: str(e.engine_path),
      keyName: str(e.key_name),
      createdAt: checkTime(e.created_at, 'hc_vault.created_at'),
      enc: str(e.enc),
    });
  }
  for (const e of list(obj.pgp)) keys.push({ type: 'pgp', fp: str(e.fp), createdAt: checkTime(e.created_at, 'pgp.created_at'), enc: str(e.enc) });
  for (const e of list(obj.age)) keys.push({ type: 'age', recipient: str(e.recipient), enc: str(e.enc) });
  return keys;
}

/** Reads metadata written by any sops version (or coffer). */
export function parseMetadata(obj: MetaObject, opts: { binary?: boolean } = {}): Metadata {
  const flat = readKeys(obj);
  let keyGroups: MasterKey[][];
  if (flat.length > 0) keyGroups = [flat];
  else keyGroups = list(obj.key_groups).map(readKeys);
  if (keyGroups.length === 0) throw new ParseError('Error unmarshalling input: No keys found in file');

  const rules = CRYPT_RULE_KINDS.filter((k) => str(obj[k]) !== '').map((kind) => ({ kind, value: str(obj[kind]) }));
  if (rules.length > 1) {
    throw new ParseError(
      'Error unmarshalling input: Cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex in the same file',
    );
  }
  const lastModified = str(obj.lastmodified);
  if (lastModified !== '' && normalizeTimestamp(lastModified) === undefined) {
    throw new ParseError(`Error unmarshalling input: parsing time "${lastModified}" in sops metadata field lastmodified: not RFC 3339`);
  }
  return {
    keyGroups,
    shamirThreshold: weakInt(obj.shamir_threshold, 'shamir_threshold'),
    lastModified,
    mac: str(obj.mac),
    cryptRule: rules[0] ?? (opts.binary ? null : DEFAULT_CRYPT_RULE),
    macOnlyEncrypted: weakBool(obj.mac_only_encrypted),
    version: str(obj.version),
  };
}

function sortDeep(v: MetaValue): MetaValue {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v !== null && typeof v === 'object') {
    const out: MetaObject = {};
    for (const k of Object.keys(v).sort()) out[k] = sortDeep(v[k]!);
    return out;
  }
  return v;
}

function keyToMeta(k: MasterKey): MetaObject {
  switch (k.type) {
    case 'age': return { enc: k.enc, recipient: k.recipient };
    case 'pgp': return { created_at: k.createdAt, enc: k.enc, fp: k.fp };
    case 'hc_vault':
      return { created_at: k.createdAt, enc: k.enc, engine_path: k.enginePath, key_name: k.keyName, vault_address: k.vaultAddress };
    default: {
      const raw: MetaObject = { ...k.raw };
      if (k.type === 'kms') {
        if (raw.aws_profile === undefined || raw.aws_profile === null) raw.aws_profile = '';
        if (raw.role === '' || raw.role === null) delete raw.role;
        if (raw.context === null || (typeof raw.context === 'object' && !Array.isArray(raw.context) && Object.keys(raw.context).length === 0)) delete raw.context;
      }
      return sortDeep(raw) as MetaObject;
    }
  }
}

function keysOfType(keys: MasterKey[], type: KeyType): MetaObject[] {
  return keys.filter((k) => k.type === type).map(keyToMeta);
}

/** Metadata in the 3.13 layout: every level sorted, empty lists omitted (except in groups). */
export function metadataToObject(m: Metadata): MetaObject {
  const out: MetaObject = {};
  const put = (k: string, v: MetaValue | undefined) => {
    if (v === undefined) return;
    out[k] = v;
  };
  const types: KeyType[] = ['age', 'azure_kv', 'gcp_kms', 'hc_vault', 'hckms', 'kms', 'pgp'];
  if (m.keyGroups.length === 1) {
    for (const t of types) {
      const ks = keysOfType(m.keyGroups[0]!, t);
      if (ks.length) put(t, ks);
    }
  } else {
    put(
      'key_groups',
      m.keyGroups.map((g) => {
        const group: MetaObject = {};
        for (const t of types) {
          const ks = keysOfType(g, t);
          if (ks.length || t === 'age' || t === 'hc_vault') group[t] = ks;
        }
        return group;
      }),
    );
    if (m.shamirThreshold > 0) put('shamir_threshold', m.shamirThreshold);
  }
  put('lastmodified', m.lastModified);
  put('mac', m.mac);
  if (m.macOnlyEncrypted) put('mac_only_encrypted', true);
  if (m.cryptRule) put(m.cryptRule.kind, m.cryptRule.value);
  put('version', m.version || SOPS_FORMAT_VERSION);
  return sortDeep(out) as MetaObject;
}

/** Go `time.RFC3339` of the current instant in UTC (seconds precision). */
export function nowRfc3339(date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/**
 * The MAC's additional data: sops parses `lastmodified` and re-formats it as RFC 3339 at seconds
 * precision (spec §2 step 5).
 */
export function macAad(lastModified: string): string {
  const norm = normalizeTimestamp(lastModified);
  if (!norm) return lastModified;
  return norm.replace(/\.\d+/, '');
}
