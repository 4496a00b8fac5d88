// What the system backend needs from the server core. Kept as a narrow interface so the sys
// handlers can be read (and tested) without the whole core.
import type { MountTable } from '../router/mount-table.js';
import type { AclLike } from '../router/pipeline.js';
import type { Request } from '../framework/types.js';

export interface CapabilityAcl extends AclLike {
  capabilities(path: string): string[];
  /** Whether the token may see the mount's info in sys/internal/ui/mounts (some capability under it). */
  hasMountAccess(mountPath: string): boolean;
}

export interface SystemContext {
  version: string;
  mounts(): MountTable;
  policies(): {
    get(name: string): Promise<{ name: string; policy: string } | undefined>;
    set(name: string, text: string): Promise<void>;
    delete(name: string): Promise<void>;
    list(): Promise<string[]>;
    aclFor(names: string[]): Promise<CapabilityAcl>;
  };
  /** Token checks for sys/capabilities and sys/capabilities-accessor. */
  tokenPolicies(token: string): Promise<string[] | undefined>;
  accessorPolicies(accessor: string): Promise<string[] | undefined>;
  /** Revokes every token created through an auth mount path (auth disable). */
  revokeByPath?(prefix: string): Promise<void>;
  /**
   * Seals the server once `request` (the sys/seal request, already authorised) has finished: its
   * response is answered and audited first, and the requests in flight finish before the seal.
   */
  seal(request: Request): Promise<void>;
  rotate(): Promise<{ term: number; install_time: string }>;
  keyStatus(): { term: number; install_time: string; encryptions: number };
}
