// KV version 2: versioned secrets. This file wires the path families together and answers
// Vault's 404-with-warning for paths outside them (e.g. `secret/foo` instead of `secret/data/foo`).
import { createBackend, definePath, type PathDef } from '../../framework/backend.js';
import type { Backend, BackendConfig, Operation, Response } from '../../framework/types.js';
import type { Storage } from '../../storage/backend.js';
import { getJSON, putJSON } from '../../storage/json.js';
import { createKeyedMutex } from '../../lib/keyed-mutex.js';
import { pathConfig } from './path-config.js';
import { pathData } from './path-data.js';
import { pathDelete } from './path-delete.js';
import { pathDestroy } from './path-destroy.js';
import { pathMetadata } from './path-metadata.js';
import { pathSubkeys } from './path-subkeys.js';
import { pathUndelete } from './path-undelete.js';
import { CONFIG_KEY, createSystemClock, type Clock, type KVConfig, type KVContext } from './versions.js';

export interface KVv2Options {
  /** Tests inject a clock to move time (delete_version_after) without sleeping. */
  clock?: Clock;
}

const ROOTS = new Set(['metadata', 'data', 'delete', 'undelete', 'destroy']);
const CLI_VERB: Record<Operation, string> = { create: 'put', update: 'put', patch: 'patch', read: 'get', list: 'list', delete: 'delete' };

function pathInvalid(): PathDef {
  const handler = async (req: { path: string; operation: Operation }): Promise<Response> => {
    const warning = ROOTS.has(req.path)
      ? 'Non-listing operations on the root of a K/V v2 mount are not supported.'
      : `Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv ${CLI_VERB[req.operation]}' for this operation.`;
    return { warnings: [warning], statusCode: 404 };
  };
  return definePath({
    pattern: '.*',
    operations: { read: handler, update: handler, patch: handler, delete: handler, list: handler },
  });
}

export function createKVv2Backend(_config: BackendConfig, options: KVv2Options = {}): Backend {
  let cached: KVConfig | undefined;
  const ctx: KVContext = {
    clock: options.clock ?? createSystemClock(),
    locks: createKeyedMutex(),
    async config(storage: Storage) {
      cached ??= { max_versions: 0, cas_required: false, delete_version_after: 0, ...(await getJSON<KVConfig>(storage, CONFIG_KEY)) };
      return { ...cached };
    },
    async saveConfig(storage: Storage, config: KVConfig) {
      await putJSON(storage, CONFIG_KEY, config);
      cached = { ...config };
    },
  };

  return createBackend({
    type: 'kv',
    paths: [
      pathConfig(ctx), pathData(ctx), pathMetadata(ctx), pathDelete(ctx), pathUndelete(ctx), pathDestroy(ctx), pathSubkeys(ctx),
      pathInvalid(),
    ],
    help: 'A versioned key-value store: each write of a key creates a new version; old versions can be read, deleted, undeleted and destroyed.',
  });
}
