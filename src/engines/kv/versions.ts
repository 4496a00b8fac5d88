// The KV v2 record model and its storage layout, shared by every path-*.ts handler.
//
// Layout inside the mount's (barrier-encrypted) storage view:
//   config                          KVConfig, the mount-wide settings
//   metadata/<secret path>          KeyMetadata: version list, settings, custom_metadata
//   versions/<sha256(path)>/<n>     VersionRecord: the data of version n
// One record per version keeps reads to two small gets. Metadata lives under the plain path so
// LIST metadata/ is a one-level storage list; version data lives under a hash of the path so that
// no secret path can collide with another's versions.
import { createHash } from 'node:crypto';
import { InternalError, InvalidRequestError } from '../../core/errors.js';
import type { Storage, StorageOp } from '../../storage/backend.js';
import { encodeJSON, getJSON } from '../../storage/json.js';
import { formatGoDuration } from '../../lib/duration.js';
import type { KeyedMutex } from '../../lib/keyed-mutex.js';

export const DEFAULT_MAX_VERSIONS = 10;
/** The config value that turns delete_version_after off for every key. */
export const DELETE_VERSION_AFTER_DISABLED = -1;

export interface VersionMetadata {
  created_time: string;
  /** '' when not deleted; may lie in the future (delete_version_after). */
  deletion_time: string;
  destroyed: boolean;
}

export interface KeyMetadata {
  key: string;
  /** Keyed by the version number as a decimal string. */
  versions: Record<string, VersionMetadata>;
  current_version: number;
  oldest_version: number;
  created_time: string;
  updated_time: string;
  /** 0 = use the mount setting. */
  max_versions: number;
  cas_required: boolean;
  /** Seconds; 0 = use the mount setting. */
  delete_version_after: number;
  custom_metadata: Record<string, string> | null;
}

export interface VersionRecord {
  data: Record<string, unknown>;
  created_time: string;
}

export interface KVConfig {
  /** 0 = the default of 10. */
  max_versions: number;
  cas_required: boolean;
  /** Seconds; 0 = unset; DELETE_VERSION_AFTER_DISABLED = off for every key. */
  delete_version_after: number;
}

/** Nanoseconds since the Unix epoch. Injectable so tests can move time without sleeping. */
export interface Clock {
  nowNs(): bigint;
}

/** What every KV v2 path handler shares: the clock, the per-key locks and the cached config. */
export interface KVContext {
  clock: Clock;
  locks: KeyedMutex;
  config(storage: Storage): Promise<KVConfig>;
  saveConfig(storage: Storage, config: KVConfig): Promise<void>;
}

// ---- time -------------------------------------------------------------------------------------

/** Wall-clock time with nanosecond digits: Date.now() anchored to the monotonic hrtime. */
export function createSystemClock(): Clock {
  let anchorNs = BigInt(Date.now()) * 1_000_000n;
  let anchorHr = process.hrtime.bigint();
  return {
    nowNs() {
      const ns = anchorNs + (process.hrtime.bigint() - anchorHr);
      const wallMs = Date.now();
      // Re-anchor when the wall clock was stepped (NTP, suspend) so times stay wall times.
      if (Math.abs(Number(ns / 1_000_000n) - wallMs) > 1000) {
        anchorNs = BigInt(wallMs) * 1_000_000n;
        anchorHr = process.hrtime.bigint();
        return anchorNs;
      }
      return ns;
    },
  };
}

/** RFC 3339 with nanoseconds in UTC, as Go's time.RFC3339Nano prints it (trailing zeros trimmed). */
export function formatTime(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString(); // yyyy-mm-ddThh:mm:ss.sssZ
  const frac = (((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${iso.slice(0, 19)}${frac === '' ? '' : `.${frac}`}Z`;
}

const TIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

export function parseTime(text: string): bigint {
  const m = TIME_RE.exec(text);
  if (!m) throw new InternalError('malformed timestamp in stored KV metadata');
  const seconds = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000;
  return BigInt(seconds) * 1_000_000_000n + BigInt((m[7] ?? '').padEnd(9, '0'));
}

/** Soft-deleted: a deletion_time that has been reached (a future one is still readable). */
export function isDeleted(vm: VersionMetadata, nowNs: bigint): boolean {
  return vm.deletion_time !== '' && parseTime(vm.deletion_time) <= nowNs;
}

/** Go's time.Duration.String() for whole seconds, including the "-1s" of a disabled setting. */
export function goDuration(seconds: number): string {
  return seconds < 0 ? `-${formatGoDuration(-seconds)}` : formatGoDuration(seconds);
}

/**
 * The deletion_time to stamp on a version created (or undeleted) at `fromNs`: the smaller non-zero
 * delete_version_after of the mount and the key, or '' when neither is set or the mount disables it.
 */
export function scheduledDeletion(fromNs: bigint, config: KVConfig, meta: KeyMetadata): string {
  if (config.delete_version_after < 0) return '';
  const candidates = [config.delete_version_after, meta.delete_version_after].filter((s) => s > 0);
  if (candidates.length === 0) return '';
  return formatTime(fromNs + BigInt(Math.min(...candidates)) * 1_000_000_000n);
}

// ---- storage ----------------------------------------------------------------------------------

export const CONFIG_KEY = 'config';
export const metadataKey = (path: string): string => `metadata/${path}`;
export const versionsPrefix = (path: string): string => `versions/${createHash('sha256').update(path, 'utf8').digest('hex')}/`;
export const versionKey = (path: string, version: number): string => `${versionsPrefix(path)}${version}`;

export function readMetadata(storage: Storage, path: string): Promise<KeyMetadata | undefined> {
  return getJSON<KeyMetadata>(storage, metadataKey(path));
}

export function readVersion(storage: Storage, path: string, version: number): Promise<VersionRecord | undefined> {
  return getJSON<VersionRecord>(storage, versionKey(path, version));
}

export function putMetadataOp(meta: KeyMetadata): StorageOp {
  return { type: 'put', key: metadataKey(meta.key), value: encodeJSON(meta) };
}

/** Fresh metadata; with `now` '' the first version's created_time becomes the key's. */
export function newMetadata(path: string, now: string): KeyMetadata {
  return {
    key: path, versions: {}, current_version: 0, oldest_version: 0, created_time: now, updated_time: now,
    max_versions: 0, cas_required: false, delete_version_after: 0, custom_metadata: null,
  };
}

/**
 * Runs `mutate` on a key's metadata under the key's lock and stores the result together with the
 * ops it returns, in one transaction. `mutate` returns undefined to store nothing. A key without
 * metadata is left alone (the caller's request is a no-op).
 */
export async function updateMetadata(
  ctx: KVContext, storage: Storage, path: string,
  mutate: (meta: KeyMetadata, config: KVConfig) => StorageOp[] | undefined,
): Promise<void> {
  await ctx.locks.run(path, async () => {
    const meta = await readMetadata(storage, path);
    if (!meta) return;
    const ops = mutate(meta, await ctx.config(storage));
    if (ops) await storage.transaction([putMetadataOp(meta), ...ops]);
  });
}

// ---- versions ---------------------------------------------------------------------------------

/** The per-version block of data reads, writes and subkeys. */
export function versionView(meta: KeyMetadata, version: number): Record<string, unknown> {
  const vm = meta.versions[String(version)];
  return {
    created_time: vm?.created_time ?? '',
    custom_metadata: meta.custom_metadata,
    deletion_time: vm?.deletion_time ?? '',
    destroyed: vm?.destroyed ?? false,
    version,
  };
}

export function effectiveMaxVersions(meta: KeyMetadata, config: KVConfig): number {
  if (meta.max_versions > 0) return meta.max_versions;
  if (config.max_versions > 0) return config.max_versions;
  return DEFAULT_MAX_VERSIONS;
}

/**
 * Appends a version to the metadata and slides the max_versions window exactly as Vault does
 * (oldest_version stays 0 until the window first fills). Returns the version numbers dropped from
 * the map, whose data records the caller must delete.
 */
export function addVersion(meta: KeyMetadata, vm: VersionMetadata, config: KVConfig): number[] {
  meta.current_version += 1;
  meta.versions[String(meta.current_version)] = vm;
  meta.updated_time = vm.created_time;
  if (meta.created_time === '') meta.created_time = vm.created_time;
  const max = effectiveMaxVersions(meta, config);
  if (meta.current_version - meta.oldest_version < max) return [];
  const lastToDrop = meta.current_version - max;
  const dropped: number[] = [];
  for (const v of Object.keys(meta.versions).map(Number)) {
    if (v <= lastToDrop) {
      delete meta.versions[String(v)];
      dropped.push(v);
    }
  }
  meta.oldest_version = lastToDrop + 1;
  return dropped.sort((a, b) => a - b);
}

/** Parses `versions` (a list, a comma-separated string or one number) into integers. */
export function parseVersionList(raw: unknown): number[] {
  const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter((s) => s !== '') : raw === undefined || raw === null ? [] : [raw];
  return items.map((item) => {
    const n = typeof item === 'string' && /^-?\d+$/.test(item) ? Number(item) : item;
    if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
      throw new InvalidRequestError('error converting input for field "versions": expected a list of integers');
    }
    return n;
  });
}
