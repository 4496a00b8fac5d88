// undelete/<path>: restore soft-deleted versions (destroyed versions stay destroyed).
import type { PathDef } from '../../framework/backend.js';
import { versionListPath } from './version-list-path.js';
import { scheduledDeletion, type KVContext } from './versions.js';

export function pathUndelete(ctx: KVContext): PathDef {
  return versionListPath(ctx, {
    prefix: 'undelete',
    noVersionsMessage: 'No version number provided',
    versionsDescription: 'The versions to restore',
    help: 'Undeletes one or more versions so normal reads return their data again.',
    apply(vm, _version, meta, config, nowNs) {
      // delete_version_after starts again from the moment of the undelete, as in Vault.
      if (!vm.destroyed) vm.deletion_time = scheduledDeletion(nowNs, config, meta);
      return [];
    },
  });
}
