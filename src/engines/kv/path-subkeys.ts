// subkeys/<path>: the structure of a version's data with every leaf value replaced by null.
import { InvalidRequestError, NotFoundError } from '../../core/errors.js';
import { definePath, type PathDef } from '../../framework/backend.js';
import { assertSecretPath } from './key-path.js';
import { isDeleted, readMetadata, readVersion, versionView, type KVContext } from './versions.js';

/**
 * Vault walks without limit for depth 0; we stop at this depth (keys there read as null, so
 * nothing leaks) to keep the recursion bounded. Stored data this deep is not realistic.
 */
const MAX_SUBKEYS_DEPTH = 1000;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Replaces every leaf (non-object, empty object, array) with null. Keys at depth `maxDepth` (top
 * level = 1) become leaves too, so no value below them can leak.
 */
export function stripValues(data: Record<string, unknown>, maxDepth: number, depth = 1): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    const value = isObject(v) && Object.keys(v).length > 0 && depth < maxDepth ? stripValues(v, maxDepth, depth + 1) : null;
    Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export function pathSubkeys(ctx: KVContext): PathDef {
  return definePath({
    pattern: 'subkeys/(?<path>.*)',
    fields: {
      path: { type: 'string', description: 'Location of the secret.' },
      version: { type: 'int', description: 'The version to read; 0 or absent reads the current version.' },
      depth: { type: 'int', description: 'The deepest nesting level to return; 0 means no limit.' },
    },
    operations: {
      async read(req, fields) {
        const path = fields.string('path');
        assertSecretPath(path, true);
        const depth = fields.int('depth');
        if (depth < 0) throw new InvalidRequestError('depth must be a non-negative integer');
        const meta = path === '' || path.endsWith('/') ? undefined : await readMetadata(req.storage, path);
        if (!meta) throw new NotFoundError();
        const requested = fields.int('version');
        const version = requested > 0 ? requested : meta.current_version;
        const vm = meta.versions[String(version)];
        if (!vm) throw new NotFoundError();
        const metadata = versionView(meta, version);
        if (vm.destroyed || isDeleted(vm, ctx.clock.nowNs())) return { data: { subkeys: null, metadata }, statusCode: 404 };
        const record = await readVersion(req.storage, path, version);
        if (!record) throw new NotFoundError();
        const maxDepth = depth === 0 ? MAX_SUBKEYS_DEPTH : Math.min(depth, MAX_SUBKEYS_DEPTH);
        return { data: { subkeys: stripValues(record.data, maxDepth), metadata } };
      },
    },
    help: 'Reads the structure of a secret with its values removed.',
  });
}
