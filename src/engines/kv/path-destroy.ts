// destroy/<path>: permanently remove the data of the listed versions; their metadata stays,
// marked destroyed.
import type { PathDef } from '../../framework/backend.js';
import { versionListPath } from './version-list-path.js';
import { versionKey, type KVContext } from './versions.js';

export function pathDestroy(ctx: KVContext): PathDef {
  return versionListPath(ctx, {
    prefix: 'destroy',
    noVersionsMessage: 'no version number provided',
    versionsDescription: 'The versions to destroy',
    help: 'Permanently removes the data of one or more versions.',
    apply(vm, version, meta) {
      if (vm.destroyed) return [];
      vm.destroyed = true;
      return [{ type: 'delete', key: versionKey(meta.key, version) }];
    },
  });
}
