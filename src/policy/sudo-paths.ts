// Root-protected paths (spec §5.8): a request on one of these needs the `sudo` capability on top of
// the operation's own capability (or a root token). Patterns: a trailing '*' is a prefix match and
// '+' stands for exactly one segment. Paths are full request paths (mount included), so the PKI
// entries hold for an engine mounted at the default `pki/` only; engines mounted elsewhere should
// declare their own root paths relative to the mount.
// Not listed because it is conditional: `auth/token/create` needs sudo only with privileged options
// (id, no_parent, period without a role, policies that are not a subset of the caller's).

export const SUDO_PATHS: readonly string[] = [
  'sys/audit',
  'sys/audit/*',
  'sys/audit-chain-key/*',
  'sys/auth/*',
  'sys/remount',
  'sys/rotate',
  'sys/rotate/config',
  'sys/seal',
  'sys/step-down',
  'sys/raw',
  'sys/raw/*',
  'sys/config/cors',
  'sys/config/auditing/*',
  'sys/config/ui/headers/*',
  'sys/plugins/catalog/*',
  'sys/leases',
  'sys/leases/lookup/*',
  'sys/leases/revoke-prefix/*',
  'sys/leases/revoke-force/*',
  'sys/revoke-prefix/*',
  'sys/revoke-force/*',
  'sys/internal/inspect/*',
  'sys/pprof/*',
  'sys/monitor',
  'sys/storage/raft/snapshot*',
  'auth/token/accessors*',
  'auth/token/revoke-orphan',
  'auth/token/revoke-orphan/*',
  'pki/root',
  'pki/root/sign-self-issued',
];

function compile(pattern: string): (path: string) => boolean {
  const isPrefix = pattern.endsWith('*');
  const body = isPrefix ? pattern.slice(0, -1) : pattern;
  if (!body.split('/').includes('+')) {
    return isPrefix ? (p) => p.startsWith(body) : (p) => p === body;
  }
  const parts = body.split('/');
  return (p) => {
    const segs = p.split('/');
    if (segs.length < parts.length || (!isPrefix && segs.length !== parts.length)) return false;
    return parts.every((part, i) => {
      if (part === '+') return true;
      if (isPrefix && i === parts.length - 1) return segs[i]!.startsWith(part);
      return part === segs[i];
    });
  };
}

const MATCHERS = SUDO_PATHS.map(compile);

/**
 * Whether a request path is root-protected. A leading '/' is ignored, and so is a trailing '/'
 * (LIST requests carry one), which only ever makes the check stricter.
 */
export function isSudoPath(path: string): boolean {
  let p = path.startsWith('/') ? path.slice(1) : path;
  if (MATCHERS.some((m) => m(p))) return true;
  if (p.endsWith('/')) {
    p = p.slice(0, -1);
    return MATCHERS.some((m) => m(p));
  }
  return false;
}
