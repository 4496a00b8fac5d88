// The system backend mounted at sys/: one file per endpoint family, assembled here.
import { createBackend, type PathDef } from '../framework/backend.js';
import type { Backend } from '../framework/types.js';
import type { SystemContext } from './context.js';
import { capabilityPaths } from './path-capabilities.js';
import { internalUiPaths } from './path-internal-ui.js';
import { keyPaths } from './path-keys.js';
import { mountPaths } from './path-mounts.js';
import { policyEndpoints } from './path-policy.js';
import { remountPaths } from './path-remount.js';

export function createSystemBackend(ctx: SystemContext, extraPaths: PathDef[] = []): Backend {
  return createBackend({
    type: 'system',
    paths: [...mountPaths(ctx), ...remountPaths(ctx), ...policyEndpoints(ctx), ...capabilityPaths(ctx), ...keyPaths(ctx), ...internalUiPaths(ctx), ...extraPaths],
    specialPaths: {
      // internal/ui/mounts/<path> is not ACL-checked as a path: its handler asks the ACL whether the
      // token has any capability under that mount (the KV preflight of least-privilege tokens).
      unauthenticated: ['internal/ui/mounts', 'internal/ui/mounts/*', 'wrapping/lookup', 'wrapping/unwrap'],
      // audit, audit/* and audit-chain-key/* are root-protected through the global sudo list.
      sudo: [],
    },
  });
}
