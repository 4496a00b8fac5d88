// `.sops.yaml` (spec §5): found from the working directory upward (or given with --config /
// SOPS_CONFIG); the first creation rule whose path_regex matches the file's path relative to the
// config directory decides the keys, Shamir threshold and crypt rule used by `encrypt`.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import YAML from 'yaml';
import { compileGoRegex } from './crypt.js';
import { ConfigError } from './errors.js';
import { type KeySpec, ageSpec, dedupeGroup, pgpSpec, vaultSpec } from './key-groups.js';
import { CRYPT_RULE_KINDS, type CryptRule } from './metadata.js';

export interface CreationRule {
  pathRegex: string;
  keyGroups: KeySpec[][];
  shamirThreshold: number;
  cryptRule: CryptRule | null;
  macOnlyEncrypted: boolean;
}

export interface StoreSettings {
  yamlIndent?: number;
  jsonIndent?: number;
  jsonBinaryIndent?: number;
}

export interface SopsConfig {
  path: string;
  creationRules: CreationRule[];
  stores: StoreSettings;
}

export const CONFIG_FILE_NAME = '.sops.yaml';

/** Looks for `.sops.yaml` in `cwd` and its parents (at most 100 levels, as sops). */
export function findConfigFile(cwd: string): string | null {
  let dir = resolve(cwd);
  for (let i = 0; i < 100; i++) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

type Raw = Record<string, unknown>;

function asList(v: unknown, where: string): string[] {
  if (v === undefined || v === null || v === '') return [];
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(v)) return v.map((x) => String(x).trim()).filter(Boolean);
  throw new ConfigError(`${where}: expected a comma-separated string or a list`);
}

function keysFromRaw(raw: Raw, where: string, env: NodeJS.ProcessEnv, vaultField: 'hc_vault_transit_uri' | 'hc_vault'): KeySpec[] {
  const keys: KeySpec[] = [];
  const wrapErr = <T>(fn: () => T, field: string): T => {
    try {
      return fn();
    } catch (err) {
      throw new ConfigError(`${where}.${field}: ${(err as Error).message}`);
    }
  };
  for (const r of asList(raw.age, `${where}.age`)) keys.push(wrapErr(() => ageSpec(r), 'age'));
  for (const fp of asList(raw.pgp, `${where}.pgp`)) keys.push(wrapErr(() => pgpSpec(fp), 'pgp'));
  for (const uri of asList(raw[vaultField], `${where}.${vaultField}`)) keys.push(wrapErr(() => vaultSpec(uri, env), vaultField));
  // Cloud KMS keys are recognised so the error is precise, but coffer cannot use them.
  const kmsIds = (field: string, pick: (o: Raw) => string) => {
    const v = raw[field];
    if (v === undefined || v === null) return;
    const items = Array.isArray(v) ? v : asList(v, `${where}.${field}`);
    for (const it of items) keys.push({ type: field === 'azure_keyvault' ? 'azure_kv' : (field as 'kms' | 'gcp_kms' | 'hckms'), id: typeof it === 'object' && it ? pick(it as Raw) : String(it) });
  };
  kmsIds('kms', (o) => String(o.arn ?? ''));
  kmsIds('gcp_kms', (o) => String(o.resource_id ?? ''));
  kmsIds('azure_keyvault', (o) => `${String(o.vaultUrl ?? '')}/keys/${String(o.key ?? '')}/${String(o.version ?? '')}`);
  kmsIds('hckms', (o) => String(o.key_id ?? ''));
  return keys;
}

function groupFromRaw(raw: Raw, where: string, env: NodeJS.ProcessEnv): KeySpec[] {
  const keys = keysFromRaw(raw, where, env, 'hc_vault');
  const merged = raw.merge;
  if (Array.isArray(merged)) merged.forEach((m, i) => keys.push(...groupFromRaw((m ?? {}) as Raw, `${where}.merge[${i}]`, env)));
  return dedupeGroup(keys);
}

export function cryptRuleFrom(raw: Raw, where: string): CryptRule | null {
  const set = CRYPT_RULE_KINDS.filter((k) => typeof raw[k] === 'string' && raw[k] !== '');
  if (set.length > 1) {
    throw new ConfigError(
      `${where}: Cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex`,
    );
  }
  const kind = set[0];
  if (!kind) return null;
  const value = raw[kind] as string;
  if (kind.endsWith('_regex')) compileGoRegex(value, `${where}.${kind}`);
  return { kind, value };
}

function indentOf(v: unknown): number | undefined {
  if (v && typeof v === 'object' && typeof (v as Raw).indent === 'number') return (v as Raw).indent as number;
  return undefined;
}

export function parseConfig(text: string, path: string, env: NodeJS.ProcessEnv = process.env): SopsConfig {
  let raw: unknown;
  try {
    raw = YAML.parse(text, { uniqueKeys: true });
  } catch (err) {
    throw new ConfigError(`error loading config ${path}: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`error loading config ${path}: the top level must be a mapping`);
  const top = raw as Raw;
  const rulesRaw = top.creation_rules ?? [];
  if (!Array.isArray(rulesRaw)) throw new ConfigError(`error loading config ${path}: creation_rules must be a list`);
  const creationRules = rulesRaw.map((r, i): CreationRule => {
    const where = `${path}: creation_rules[${i}]`;
    const rule = (r ?? {}) as Raw;
    const pathRegex = typeof rule.path_regex === 'string' ? rule.path_regex : '';
    if (pathRegex) compileGoRegex(pathRegex, `${where}.path_regex`);
    let keyGroups: KeySpec[][];
    if (Array.isArray(rule.key_groups) && rule.key_groups.length > 0) {
      keyGroups = rule.key_groups.map((g, gi) => groupFromRaw((g ?? {}) as Raw, `${where}.key_groups[${gi}]`, env));
    } else {
      const flat = dedupeGroup(keysFromRaw(rule, where, env, 'hc_vault_transit_uri'));
      keyGroups = flat.length ? [flat] : [];
    }
    const threshold = rule.shamir_threshold === undefined ? 0 : Number(rule.shamir_threshold);
    if (!Number.isInteger(threshold) || threshold < 0) throw new ConfigError(`${where}.shamir_threshold: must be a non-negative integer`);
    return {
      pathRegex,
      keyGroups,
      shamirThreshold: threshold,
      cryptRule: cryptRuleFrom(rule, where),
      macOnlyEncrypted: rule.mac_only_encrypted === true || rule.mac_only_encrypted === 'true',
    };
  });
  const stores = (top.stores ?? {}) as Raw;
  return {
    path,
    creationRules,
    stores: { yamlIndent: indentOf(stores.yaml), jsonIndent: indentOf(stores.json), jsonBinaryIndent: indentOf(stores.json_binary) },
  };
}

export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): SopsConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`error loading config ${path}: ${(err as NodeJS.ErrnoException).code ?? 'cannot read'}`);
  }
  return parseConfig(text, path, env);
}

/** The first rule whose path_regex matches; the path is made relative to the config's directory. */
export function matchCreationRule(config: SopsConfig, filePath: string): CreationRule | null {
  const abs = resolve(filePath);
  const base = dirname(resolve(config.path)) + sep;
  const rel = abs.startsWith(base) ? abs.slice(base.length) : abs;
  for (const rule of config.creationRules) {
    if (!rule.pathRegex || compileGoRegex(rule.pathRegex, 'path_regex').test(rel)) return rule;
  }
  return null;
}
