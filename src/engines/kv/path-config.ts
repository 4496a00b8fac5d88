// config: the mount-wide KV v2 settings (max_versions, cas_required, delete_version_after).
import { InvalidRequestError } from '../../core/errors.js';
import { definePath, type PathDef } from '../../framework/backend.js';
import { parseDurationSeconds } from '../../lib/duration.js';
import { checkMaxVersions } from './path-metadata.js';
import { DELETE_VERSION_AFTER_DISABLED, goDuration, type KVContext } from './versions.js';

/** A signed duration: any negative value disables delete_version_after for every key. */
function parseSignedDuration(raw: unknown): number {
  if (typeof raw === 'number' && raw < 0) return DELETE_VERSION_AFTER_DISABLED;
  if (typeof raw === 'string' && raw.trim().startsWith('-')) {
    parseDurationSeconds(raw.trim().slice(1), 'delete_version_after');
    return DELETE_VERSION_AFTER_DISABLED;
  }
  if (typeof raw !== 'number' && typeof raw !== 'string') throw new InvalidRequestError('invalid delete_version_after: expected a duration');
  return parseDurationSeconds(raw, 'delete_version_after');
}

export function pathConfig(ctx: KVContext): PathDef {
  return definePath({
    pattern: 'config',
    fields: {
      max_versions: { type: 'int', description: 'The number of versions to keep for each key; 0 means 10.' },
      cas_required: { type: 'bool', description: 'If true, every write must carry options.cas.' },
      delete_version_after: { type: 'raw', description: 'How long versions live before they read as deleted; "0s" unsets, negative disables.' },
    },
    operations: {
      async read(req) {
        const config = await ctx.config(req.storage);
        return {
          data: {
            cas_required: config.cas_required,
            delete_version_after: goDuration(config.delete_version_after),
            max_versions: config.max_versions,
          },
        };
      },
      async update(req, fields) {
        const next = await ctx.config(req.storage);
        let changed = false;
        if (fields.has('max_versions')) { next.max_versions = checkMaxVersions(fields.int('max_versions')); changed = true; }
        if (fields.has('cas_required')) { next.cas_required = fields.bool('cas_required'); changed = true; }
        if (fields.has('delete_version_after')) { next.delete_version_after = parseSignedDuration(fields.rawValue('delete_version_after')); changed = true; }
        if (changed) await ctx.saveConfig(req.storage, next);
        return undefined;
      },
    },
    help: 'Configures settings applied to every key of this KV v2 mount.',
  });
}
