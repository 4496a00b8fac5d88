// The shape shared by delete/, undelete/ and destroy/: POST a `versions` list, change those
// versions' metadata under the key's lock, answer 204 (also when the key does not exist).
import { InvalidRequestError } from '../../core/errors.js';
import { definePath, type PathDef } from '../../framework/backend.js';
import type { StorageOp } from '../../storage/backend.js';
import { assertSecretPath } from './key-path.js';
import { parseVersionList, updateMetadata, type KVConfig, type KVContext, type KeyMetadata, type VersionMetadata } from './versions.js';

export interface VersionListPathDef {
  /** The URL prefix, e.g. "destroy". */
  prefix: string;
  /** Vault's exact 400 message when no version is given (its casing differs per endpoint). */
  noVersionsMessage: string;
  versionsDescription: string;
  help: string;
  /** Changes one existing version; returns storage ops to run with the metadata write. */
  apply(vm: VersionMetadata, version: number, meta: KeyMetadata, config: KVConfig, nowNs: bigint): StorageOp[];
}

export function versionListPath(ctx: KVContext, def: VersionListPathDef): PathDef {
  return definePath({
    pattern: `${def.prefix}/(?<path>.*)`,
    fields: {
      path: { type: 'string', description: 'Location of the secret.' },
      versions: { type: 'raw', description: `${def.versionsDescription} (a list of integers or a comma-separated string).` },
    },
    operations: {
      async update(req, fields) {
        const versions = parseVersionList(fields.rawValue('versions'));
        if (versions.length === 0) throw new InvalidRequestError(def.noVersionsMessage);
        const path = fields.string('path');
        assertSecretPath(path);
        if (path === '') return undefined;
        await updateMetadata(ctx, req.storage, path, (meta, config) => {
          const nowNs = ctx.clock.nowNs();
          const ops: StorageOp[] = [];
          for (const v of versions) {
            const vm = meta.versions[String(v)];
            if (vm) ops.push(...def.apply(vm, v, meta, config, nowNs));
          }
          return ops;
        });
        return undefined;
      },
    },
    help: def.help,
  });
}
