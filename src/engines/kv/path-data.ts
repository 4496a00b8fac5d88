// data/<path>: read a version, write a new version, PATCH (JSON merge patch onto the current
// version) and DELETE (soft-delete the current version).
import { InternalError, InvalidRequestError, NotFoundError } from '../../core/errors.js';
import { definePath, type PathDef } from '../../framework/backend.js';
import type { FieldData } from '../../framework/field-data.js';
import type { Response } from '../../framework/types.js';
import type { Storage, StorageOp } from '../../storage/backend.js';
import { encodeJSON } from '../../storage/json.js';
import { assertSecretPath } from './key-path.js';
import { applyMergePatch } from './merge-patch.js';
import {
  addVersion, formatTime, isDeleted, newMetadata, putMetadataOp, readMetadata, readVersion, scheduledDeletion,
  updateMetadata, versionKey, versionView, type KVConfig, type KVContext, type KeyMetadata, type VersionRecord,
} from './versions.js';

function secretPath(fields: FieldData): string {
  const path = fields.string('path');
  assertSecretPath(path);
  return path;
}

/** Enforces `options.cas` and cas_required (mount config or key metadata) with Vault's messages. */
export function checkCas(fields: FieldData, config: KVConfig, meta: KeyMetadata): void {
  const options = fields.has('options') ? fields.map('options') : {};
  if (Object.hasOwn(options, 'cas')) {
    const raw = options.cas;
    // Vault decodes cas weakly: a JSON null decodes to 0, numeric strings to their value.
    const cas = raw === null ? 0 : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
    if (typeof cas !== 'number' || !Number.isSafeInteger(cas)) throw new InvalidRequestError('error parsing check-and-set parameter');
    if (cas !== meta.current_version) throw new InvalidRequestError('check-and-set parameter did not match the current version');
  } else if (config.cas_required || meta.cas_required) {
    throw new InvalidRequestError('check-and-set parameter required for this call');
  }
}

/** Stores `data` as the key's next version (pruning past max_versions) in one transaction. */
async function commitVersion(ctx: KVContext, storage: Storage, config: KVConfig, meta: KeyMetadata, data: Record<string, unknown>): Promise<Response> {
  const nowNs = ctx.clock.nowNs();
  const created = formatTime(nowNs);
  const vm = { created_time: created, deletion_time: scheduledDeletion(nowNs, config, meta), destroyed: false };
  const dropped = addVersion(meta, vm, config);
  const record: VersionRecord = { data, created_time: created };
  const ops: StorageOp[] = [
    { type: 'put', key: versionKey(meta.key, meta.current_version), value: encodeJSON(record) },
    putMetadataOp(meta),
    ...dropped.map((v): StorageOp => ({ type: 'delete', key: versionKey(meta.key, v) })),
  ];
  await storage.transaction(ops);
  return { data: versionView(meta, meta.current_version) };
}

function requireData(fields: FieldData): Record<string, unknown> {
  if (!fields.has('data')) throw new InvalidRequestError('no data provided');
  return fields.map('data');
}

export function pathData(ctx: KVContext): PathDef {
  /** One attempt at a read; `undefined` when the version's data vanished under us (pruned or destroyed). */
  async function readOnce(storage: Storage, path: string, requested: number): Promise<Response | undefined> {
    const meta = await readMetadata(storage, path);
    if (!meta) throw new NotFoundError();
    const version = requested > 0 ? requested : meta.current_version;
    const vm = meta.versions[String(version)];
    if (!vm) throw new NotFoundError();
    const metadata = versionView(meta, version);
    if (vm.destroyed || isDeleted(vm, ctx.clock.nowNs())) return { data: { data: null, metadata }, statusCode: 404 };
    const record = await readVersion(storage, path, version);
    return record ? { data: { data: record.data, metadata } } : undefined;
  }

  return definePath({
    // Like Vault: a data path never ends in '/' (data/ and data/x/ fall to the invalid-path handler).
    pattern: 'data/(?<path>.*[^/])',
    fields: {
      path: { type: 'string', description: 'Location of the secret.' },
      version: { type: 'int', description: 'The version to read; 0 or absent reads the current version.' },
      options: { type: 'map', description: 'Write options; "cas" makes the write conditional on the current version.' },
      data: { type: 'map', description: 'The secret data to store as a new version.' },
    },
    async existenceCheck(req, fields) {
      return (await readMetadata(req.storage, secretPath(fields))) !== undefined;
    },
    operations: {
      async read(req, fields) {
        const path = secretPath(fields);
        const requested = fields.int('version');
        const resp = await readOnce(req.storage, path, requested);
        if (resp) return resp;
        // A concurrent write pruned or destroyed the version between our two reads: retry under the lock.
        const locked = await ctx.locks.run(path, () => readOnce(req.storage, path, requested));
        if (!locked) throw new InternalError('could not find version data');
        return locked;
      },
      async update(req, fields) {
        const path = secretPath(fields);
        const data = requireData(fields);
        return ctx.locks.run(path, async () => {
          const config = await ctx.config(req.storage);
          const meta = (await readMetadata(req.storage, path)) ?? newMetadata(path, '');
          checkCas(fields, config, meta);
          return commitVersion(ctx, req.storage, config, meta, data);
        });
      },
      async patch(req, fields) {
        const path = secretPath(fields);
        const patch = requireData(fields);
        return ctx.locks.run(path, async () => {
          const meta = await readMetadata(req.storage, path);
          if (!meta) throw new NotFoundError();
          const config = await ctx.config(req.storage);
          checkCas(fields, config, meta);
          const vm = meta.versions[String(meta.current_version)];
          if (!vm) throw new NotFoundError();
          // Vault answers a deleted/destroyed current version with 404 and the flat version block.
          if (vm.destroyed || isDeleted(vm, ctx.clock.nowNs())) return { data: versionView(meta, meta.current_version), statusCode: 404 };
          const current = await readVersion(req.storage, path, meta.current_version);
          if (!current) throw new InternalError('could not find version data');
          const patched = applyMergePatch(current.data, patch) as Record<string, unknown>;
          return commitVersion(ctx, req.storage, config, meta, patched);
        });
      },
      async delete(req, fields) {
        const path = secretPath(fields);
        await updateMetadata(ctx, req.storage, path, (meta) => {
          const vm = meta.versions[String(meta.current_version)];
          const nowNs = ctx.clock.nowNs();
          if (!vm || vm.destroyed || isDeleted(vm, nowNs)) return undefined;
          vm.deletion_time = formatTime(nowNs);
          return [];
        });
        return undefined;
      },
    },
    help: 'Write, patch, read and delete versioned data in the key-value store.',
  });
}
