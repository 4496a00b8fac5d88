// metadata/<path>: read, write and PATCH a key's settings and custom_metadata, list keys, and
// delete a key with every version.
import { Buffer } from 'node:buffer';
import { InvalidRequestError, NotFoundError } from '../../core/errors.js';
import { definePath, type PathDef } from '../../framework/backend.js';
import type { FieldData } from '../../framework/field-data.js';
import type { StorageOp } from '../../storage/backend.js';
import { assertSecretPath, listPrefix } from './key-path.js';
import { applyMergePatch } from './merge-patch.js';
import {
  formatTime, goDuration, metadataKey, newMetadata, putMetadataOp, readMetadata, versionsPrefix,
  type KVContext, type KVConfig, type KeyMetadata,
} from './versions.js';

const MAX_CUSTOM_METADATA_KEYS = 64;
const MAX_CUSTOM_METADATA_KEY_BYTES = 128;
const MAX_CUSTOM_METADATA_VALUE_BYTES = 512;
const PREFIX = 'custom_metadata validation failed';
const CAS_IGNORED_WARNING = '"cas_required" set to false, but is mandated by backend config. This value will be ignored.';
/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const UNPRINTABLE = /[^\p{L}\p{M}\p{N}\p{P}\p{S} ]/u;

/** hashicorp/go-multierror's text, which Vault returns as the single error string. */
function multiError(errors: string[]): string {
  if (errors.length === 1) return `1 error occurred:\n\t* ${errors[0]}\n\n`;
  return `${errors.length} errors occurred:\n\t${errors.map((e) => `* ${e}`).join('\n\t')}\n\n`;
}

/** Decodes custom_metadata values weakly to strings (as Vault does); PATCH keeps nulls (they delete keys). */
function parseCustomMetadata(raw: Record<string, unknown>, keepNulls: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    let s: unknown;
    if (typeof v === 'string') s = v;
    else if (typeof v === 'number') s = String(v);
    else if (typeof v === 'boolean') s = v ? '1' : '0';
    else if (v === null) s = keepNulls ? null : '';
    else throw new InvalidRequestError(`${PREFIX}: value for key ${JSON.stringify(k)} must be a string`);
    Object.defineProperty(out, k, { value: s, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Vault's limits: at most 64 keys; 0 < key ≤ 128 bytes; 0 < value ≤ 512 bytes; printable only. */
export function validateCustomMetadata(cm: Record<string, string>): void {
  const keys = Object.keys(cm).sort();
  if (keys.length > MAX_CUSTOM_METADATA_KEYS) {
    throw new InvalidRequestError(multiError([`${PREFIX}: payload must contain at most ${MAX_CUSTOM_METADATA_KEYS} keys, provided ${keys.length}`]));
  }
  const errors: string[] = [];
  for (const key of keys) {
    const value = cm[key] ?? '';
    const q = JSON.stringify(key);
    const keyLen = Buffer.byteLength(key, 'utf8');
    const valueLen = Buffer.byteLength(value, 'utf8');
    if (keyLen === 0 || keyLen > MAX_CUSTOM_METADATA_KEY_BYTES) {
      errors.push(`${PREFIX}: length of key ${q} is ${keyLen} but must be 0 < len(key) <= ${MAX_CUSTOM_METADATA_KEY_BYTES}`);
    }
    if (valueLen === 0 || valueLen > MAX_CUSTOM_METADATA_VALUE_BYTES) {
      errors.push(`${PREFIX}: length of value for key ${q} is ${valueLen} but must be 0 < len(value) <= ${MAX_CUSTOM_METADATA_VALUE_BYTES}`);
    }
    if (UNPRINTABLE.test(key)) errors.push(`${PREFIX}: key ${q} contains unprintable characters`);
    if (UNPRINTABLE.test(value)) errors.push(`${PREFIX}: value for key ${q} contains unprintable characters`);
  }
  if (errors.length > 0) throw new InvalidRequestError(multiError(errors));
}

/** max_versions is a uint32 in Vault; refuse what would wrap instead of storing nonsense. */
export function checkMaxVersions(n: number): number {
  if (n < 0 || n > 0xffffffff) throw new InvalidRequestError('max_versions must be between 0 and 4294967295');
  return n;
}

function writablePath(fields: FieldData): string {
  const path = fields.string('path');
  assertSecretPath(path);
  if (path === '') throw new InvalidRequestError('missing path');
  return path;
}

/** The settings a write or patch supplied, validated before any lock is taken. */
function settingsFrom(fields: FieldData, keepNulls: boolean): Partial<KeyMetadata> & { customPatch?: Record<string, unknown> } {
  const out: Partial<KeyMetadata> & { customPatch?: Record<string, unknown> } = {};
  if (fields.has('max_versions')) out.max_versions = checkMaxVersions(fields.int('max_versions'));
  if (fields.has('cas_required')) out.cas_required = fields.bool('cas_required');
  if (fields.has('delete_version_after')) out.delete_version_after = fields.duration('delete_version_after');
  if (fields.has('custom_metadata')) {
    const parsed = parseCustomMetadata(fields.map('custom_metadata'), keepNulls);
    validateCustomMetadata(Object.fromEntries(Object.entries(parsed).filter(([, v]) => v !== null)) as Record<string, string>);
    out.customPatch = parsed;
  }
  return out;
}

function casWarning(fields: FieldData, config: KVConfig): { warnings: string[] } | undefined {
  return fields.has('cas_required') && !fields.bool('cas_required') && config.cas_required ? { warnings: [CAS_IGNORED_WARNING] } : undefined;
}

function metadataResponse(meta: KeyMetadata): Record<string, unknown> {
  const versions: Record<string, unknown> = {};
  for (const [v, vm] of Object.entries(meta.versions)) {
    versions[v] = { created_time: vm.created_time, deletion_time: vm.deletion_time, destroyed: vm.destroyed };
  }
  return {
    cas_required: meta.cas_required,
    created_time: meta.created_time,
    current_version: meta.current_version,
    custom_metadata: meta.custom_metadata,
    delete_version_after: goDuration(meta.delete_version_after),
    max_versions: meta.max_versions,
    oldest_version: meta.oldest_version,
    updated_time: meta.updated_time,
    versions,
  };
}

export function pathMetadata(ctx: KVContext): PathDef {
  return definePath({
    pattern: 'metadata/(?<path>.*)',
    fields: {
      path: { type: 'string', description: 'Location of the secret.' },
      max_versions: { type: 'int', description: 'The number of versions to keep; 0 uses the mount setting.' },
      cas_required: { type: 'bool', description: 'If true, every write of this key must carry options.cas.' },
      delete_version_after: { type: 'duration', description: 'How long a new version lives before it reads as deleted; 0 uses the mount setting.' },
      custom_metadata: { type: 'map', description: 'Version-agnostic string pairs describing the secret.' },
    },
    async existenceCheck(req, fields) {
      const path = fields.string('path');
      assertSecretPath(path, true);
      return path !== '' && (await readMetadata(req.storage, path)) !== undefined;
    },
    operations: {
      async read(req, fields) {
        const path = fields.string('path');
        assertSecretPath(path, true);
        const meta = path === '' || path.endsWith('/') ? undefined : await readMetadata(req.storage, path);
        if (!meta) throw new NotFoundError();
        return { data: metadataResponse(meta) };
      },
      async list(req, fields) {
        const prefix = listPrefix(fields.string('path'));
        assertSecretPath(prefix, true);
        const keys = await req.storage.list(metadataKey(prefix));
        if (keys.length === 0) throw new NotFoundError();
        return { data: { keys } };
      },
      async update(req, fields) {
        const path = writablePath(fields);
        const settings = settingsFrom(fields, false);
        if (Object.keys(settings).length === 0) return undefined; // nothing supplied: Vault stores nothing either
        const config = await ctx.config(req.storage);
        await ctx.locks.run(path, async () => {
          const meta = (await readMetadata(req.storage, path)) ?? newMetadata(path, formatTime(ctx.clock.nowNs()));
          const { customPatch, ...rest } = settings;
          Object.assign(meta, rest);
          if (customPatch) meta.custom_metadata = customPatch as Record<string, string>;
          await req.storage.transaction([putMetadataOp(meta)]);
        });
        return casWarning(fields, config);
      },
      async patch(req, fields) {
        const path = writablePath(fields);
        const settings = settingsFrom(fields, true);
        const config = await ctx.config(req.storage);
        await ctx.locks.run(path, async () => {
          const meta = await readMetadata(req.storage, path);
          if (!meta) throw new NotFoundError();
          const { customPatch, ...rest } = settings;
          Object.assign(meta, rest);
          if (customPatch) {
            const merged = applyMergePatch(meta.custom_metadata ?? {}, customPatch) as Record<string, string>;
            validateCustomMetadata(merged);
            meta.custom_metadata = merged;
          }
          await req.storage.transaction([putMetadataOp(meta)]);
        });
        return casWarning(fields, config);
      },
      async delete(req, fields) {
        const path = fields.string('path');
        assertSecretPath(path, true);
        if (path === '' || path.endsWith('/')) return undefined;
        await ctx.locks.run(path, async () => {
          const names = await req.storage.list(versionsPrefix(path));
          const ops: StorageOp[] = names
            .filter((n) => !n.endsWith('/'))
            .map((n): StorageOp => ({ type: 'delete', key: versionsPrefix(path) + n }));
          ops.push({ type: 'delete', key: metadataKey(path) });
          await req.storage.transaction(ops);
        });
        return undefined;
      },
    },
    help: 'Read, write, patch, list and delete key metadata (deleting it removes every version).',
  });
}
