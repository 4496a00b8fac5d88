// KV helpers shared by the CLI and the agent: detect whether a path lives in a KV v1 or v2 mount the
// way the Vault CLI does (GET sys/internal/ui/mounts/<path>), and build the v2 API paths
// (<mount>/data/…, <mount>/metadata/…, …) from a user path such as `secret/app/db`.
import { ApiError, type Client, type Secret } from './client.js';

export type KvVersion = 1 | 2;

export interface KvMount {
  /** The mount's path with its trailing slash (`secret/`); "" when the server could not tell. */
  mountPath: string;
  version: KvVersion;
  /** The mount type as reported (`kv`, `generic`, …); "" when unknown. */
  type: string;
}

export type KvApiPrefix = 'data' | 'metadata' | 'delete' | 'undelete' | 'destroy' | 'subkeys' | 'config';

interface UiMountData {
  path?: string;
  type?: string;
  options?: Record<string, string> | null;
}

/**
 * Asks the server which mount holds `path` and which KV version it runs. As the Vault CLI does, a
 * 404 (an old server without the endpoint) means "assume KV v1 at an unknown mount". Any other
 * error (403 for a path the token cannot touch, 503 sealed, …) is thrown.
 */
export async function detectKvMount(client: Pick<Client, 'request'>, path: string): Promise<KvMount> {
  let secret: Secret<UiMountData> | null;
  try {
    secret = (await client.request<Secret<UiMountData>>('GET', `sys/internal/ui/mounts/${trimSlashes(path)}`)).body;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return { mountPath: '', version: 1, type: '' };
    throw err;
  }
  const data = secret?.data ?? {};
  const mountPath = typeof data.path === 'string' ? data.path : '';
  const version = data.options?.['version'] === '2' ? 2 : 1;
  return { mountPath, version, type: typeof data.type === 'string' ? data.type : '' };
}

/**
 * Inserts the v2 API prefix after the mount: ("secret/app/db", "secret/", "data") → "secret/data/app/db".
 * The path is the mount itself → "secret/data". Mirrors the Vault CLI's addPrefixToKVPath, including
 * the case where the mount path carries namespace segments the user path does not.
 */
export function kvV2Path(path: string, mountPath: string, prefix: KvApiPrefix): string {
  const p = trimSlashes(path);
  let mount = trimSlashes(mountPath);
  if (p === mount) return joinPath(mount, prefix);
  let suffix = stripPrefix(p, mount);
  while (suffix === null) {
    const i = mount.indexOf('/');
    if (i < 0) break;
    mount = mount.slice(i + 1);
    suffix = stripPrefix(p, mount);
  }
  return joinPath(mount, prefix, suffix ?? p);
}

/** With `-mount=M`, the user's path is relative to M: ("secret", "app/db") → "secret/app/db". */
export function joinMountFlag(mount: string, path: string): string {
  return joinPath(trimSlashes(mount), trimSlashes(path));
}

function stripPrefix(path: string, mount: string): string | null {
  if (mount === '') return path;
  if (path === mount) return '';
  return path.startsWith(`${mount}/`) ? path.slice(mount.length + 1) : null;
}

function joinPath(...parts: string[]): string {
  return parts.filter((x) => x !== '').join('/');
}

function trimSlashes(s: string): string {
  return s.replace(/^\/+|\/+$/g, '');
}
