import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SUDO_PATHS, isSudoPath } from './sudo-paths.js';

test('root-protected paths from spec §5.8', () => {
  const yes = [
    'sys/audit', 'sys/audit/file', 'sys/audit/', 'sys/auth/userpass', 'sys/auth/userpass/tune', 'sys/remount',
    'sys/rotate', 'sys/rotate/config', 'sys/seal', 'sys/step-down', 'sys/raw', 'sys/raw/core/mounts',
    'sys/config/cors', 'sys/config/auditing/request-headers/x', 'sys/config/ui/headers/X-Custom',
    'sys/plugins/catalog/secret/foo', 'sys/leases', 'sys/leases/', 'sys/leases/lookup/', 'sys/leases/lookup/database/creds/',
    'sys/leases/revoke-prefix/aws', 'sys/leases/revoke-force/aws', 'sys/revoke-prefix/aws', 'sys/revoke-force/aws',
    'sys/internal/inspect/router', 'sys/pprof/heap', 'sys/monitor', 'sys/storage/raft/snapshot',
    'sys/storage/raft/snapshot-force', 'auth/token/accessors', 'auth/token/accessors/', 'auth/token/revoke-orphan',
    'pki/root', 'pki/root/sign-self-issued', '/sys/seal',
  ];
  const no = [
    'sys/auth', 'sys/mounts', 'sys/mounts/secret', 'sys/policy/x', 'sys/leases/lookup', 'sys/leases/renew',
    'sys/health', 'sys/audit-hash/file', 'sys/sealed', 'sys/rotated', 'sys/raw2', 'secret/sys/seal',
    'auth/token/create', 'auth/token/lookup', 'pki/roots', 'pki/issue/web', 'sys/config/state/sanitized',
    'sys/capabilities-self', 'sys/tools/hash',
  ];
  for (const p of yes) assert.equal(isSudoPath(p), true, p);
  for (const p of no) assert.equal(isSudoPath(p), false, p);
  assert.ok(SUDO_PATHS.length > 20);
});
