// Secret names are storage keys below the mount's view. The view already confines them, but a
// name such as "a/../b" or "a//b" would still be stored verbatim and list oddly, so every KV path
// is checked here first: no empty, "." or ".." segments and no NUL.
import { InvalidRequestError } from '../../core/errors.js';

/** Throws a 400 for a malformed secret path. `folder` allows one trailing '/' (LIST prefixes). */
export function assertSecretPath(path: string, folder = false): void {
  if (path === '') return;
  if (path.includes('\0')) throw new InvalidRequestError('invalid path: must not contain NUL');
  const body = folder && path.endsWith('/') ? path.slice(0, -1) : path;
  for (const segment of body.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new InvalidRequestError(`invalid path "${path}": empty, "." and ".." segments are not allowed`);
    }
  }
}

/** The storage prefix to list for a LIST path: '' for the root, else the path with a trailing '/'. */
export function listPrefix(path: string): string {
  return path === '' || path.endsWith('/') ? path : `${path}/`;
}
