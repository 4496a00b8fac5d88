// The kv secrets engine factory: mount option `version` "1" (or none, or legacy type `generic`)
// gives the unversioned KV v1; "2" (or type `kv-v2`) gives the versioned KV v2.
import { InvalidRequestError } from '../../core/errors.js';
import type { BackendFactory } from '../../framework/types.js';
import { createKVv1Backend } from './kv-v1.js';
import { createKVv2Backend } from './kv-v2.js';

export { createKVv1Backend } from './kv-v1.js';
export { createKVv2Backend } from './kv-v2.js';

export const kvFactory: BackendFactory = (config) => {
  const version = config.mount.type === 'kv-v2' ? '2' : config.mount.options.version ?? '';
  switch (version) {
    case '':
    case '1':
      return createKVv1Backend(config);
    case '2':
      return createKVv2Backend(config);
    default:
      throw new InvalidRequestError(`unsupported kv version "${version}": expected "1" or "2"`);
  }
};
