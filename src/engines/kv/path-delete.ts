// delete/<path>: soft-delete the listed versions (undo with undelete/).
import type { PathDef } from '../../framework/backend.js';
import { versionListPath } from './version-list-path.js';
import { formatTime, isDeleted, type KVContext } from './versions.js';

export function pathDelete(ctx: KVContext): PathDef {
  return versionListPath(ctx, {
    prefix: 'delete',
    noVersionsMessage: 'No version number provided',
    versionsDescription: 'The versions to mark deleted',
    help: 'Marks one or more versions as deleted; their data is kept until destroyed or pruned.',
    apply(vm, _version, _meta, _config, nowNs) {
      if (!vm.destroyed && !isDeleted(vm, nowNs)) vm.deletion_time = formatTime(nowNs);
      return [];
    },
  });
}
