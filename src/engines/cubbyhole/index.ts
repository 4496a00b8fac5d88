// Cubbyhole: private per-token storage. Every entry lives under the calling token's cubbyhole id,
// so one token can never see another's entries, and revoking the token removes them all
// (destroyCubbyhole). Same verbs as KV v1, but reads carry no lease_duration.
import { InvalidRequestError, NotFoundError, PermissionDeniedError } from '../../core/errors.js';
import { createBackend, definePath } from '../../framework/backend.js';
import type { FieldData } from '../../framework/field-data.js';
import type { Backend, BackendFactory, Request } from '../../framework/types.js';
import type { Storage } from '../../storage/backend.js';
import { getJSON, putJSON } from '../../storage/json.js';
import { clearPrefix } from '../../storage/view.js';

function namespaceOf(cubbyholeId: string): string {
  if (cubbyholeId === '' || cubbyholeId.includes('/')) throw new Error('invalid cubbyhole id');
  return `${cubbyholeId}/`;
}

/** The calling token's storage prefix; a request without a (service) token is refused. */
function tokenPrefix(req: Request): string {
  if (req.token?.type === 'batch') throw new InvalidRequestError('cubbyhole operations are only supported by "service" type tokens');
  if (!req.token || req.token.cubbyholeId === '') throw new PermissionDeniedError();
  return namespaceOf(req.token.cubbyholeId);
}

/** Checks a path: no empty, "." or ".." segments (one trailing '/' is a folder). */
function relativePath(fields: FieldData): string {
  const path = fields.string('path');
  if (path.includes('\0')) throw new InvalidRequestError('invalid path: must not contain NUL');
  const segments = (path.endsWith('/') ? path.slice(0, -1) : path).split('/');
  if (path !== '' && segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new InvalidRequestError(`invalid path "${path}": empty, "." and ".." segments are not allowed`);
  }
  return path;
}

const isEntry = (path: string): boolean => path !== '' && !path.endsWith('/');

/** Deletes every entry of one token's cubbyhole. Called by the token store when a token is revoked. */
export async function destroyCubbyhole(storage: Storage, cubbyholeId: string): Promise<void> {
  await clearPrefix(storage, namespaceOf(cubbyholeId));
}

export function createCubbyholeBackend(): Backend {
  const path = definePath({
    pattern: '(?<path>.*)',
    fields: { path: { type: 'string', description: 'Location of the entry inside the cubbyhole.' } },
    takesArbitraryInput: true,
    async existenceCheck(req, fields) {
      const rel = relativePath(fields);
      return isEntry(rel) && (await req.storage.get(tokenPrefix(req) + rel)) !== undefined;
    },
    operations: {
      async read(req, fields) {
        const prefix = tokenPrefix(req);
        const rel = relativePath(fields);
        const entry = isEntry(rel) ? await getJSON<Record<string, unknown>>(req.storage, prefix + rel) : undefined;
        if (entry === undefined) throw new NotFoundError();
        return { data: entry };
      },
      async update(req, fields) {
        const prefix = tokenPrefix(req);
        const rel = relativePath(fields);
        if (rel === '') throw new InvalidRequestError('missing path');
        if (!isEntry(rel)) throw new InvalidRequestError('invalid path: an entry path must not end with "/"');
        const body: unknown = req.data;
        if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidRequestError('request body must be a JSON object');
        if (Object.keys(req.data).length === 0) throw new InvalidRequestError('missing data fields');
        await putJSON(req.storage, prefix + rel, req.data);
        return undefined;
      },
      async delete(req, fields) {
        const prefix = tokenPrefix(req);
        const rel = relativePath(fields);
        if (isEntry(rel)) await req.storage.delete(prefix + rel);
        return undefined;
      },
      async list(req, fields) {
        const prefix = tokenPrefix(req);
        const rel = relativePath(fields);
        const folder = rel === '' || rel.endsWith('/') ? rel : `${rel}/`;
        const keys = await req.storage.list(prefix + folder);
        if (keys.length === 0) throw new NotFoundError();
        return { data: { keys } };
      },
    },
    help: 'Private per-token storage: read, write, list and delete entries that only this token can see.',
  });

  return createBackend({
    type: 'cubbyhole',
    paths: [path],
    help: 'The cubbyhole backend stores secrets private to the calling token; they are destroyed with the token.',
  });
}

export const cubbyholeFactory: BackendFactory = () => createCubbyholeBackend();
