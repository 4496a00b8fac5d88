// Where the CLI talks to and as whom: address, token, namespace and TLS settings from flags, the
// environment (COFFER_* first, then the VAULT_* names users already have) and the Vault token-helper
// file ~/.vault-token. Pure apart from reading/writing that one file, so it is unit-testable with a
// temporary HOME.
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_ADDRESS = 'https://127.0.0.1:8200';
export const TOKEN_FILE_NAME = '.vault-token';

export type Env = Readonly<Record<string, string | undefined>>;

export type TokenSource = 'COFFER_TOKEN' | 'VAULT_TOKEN' | 'token file' | 'none';

export interface CliConfig {
  address: string;
  token: string | undefined;
  tokenSource: TokenSource;
  namespace: string | undefined;
  caCert: string | undefined;
  insecure: boolean;
  timeoutMs: number | undefined;
}

/** Values given on the command line (-address, -namespace, -ca-cert, -tls-skip-verify). */
export interface ConfigFlags {
  address?: string | undefined;
  namespace?: string | undefined;
  caCert?: string | undefined;
  tlsSkipVerify?: boolean | undefined;
}

function envValue(env: Env, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  return undefined;
}

export function resolveAddress(env: Env, flag?: string): string {
  if (flag !== undefined && flag.trim() !== '') return flag.trim();
  return envValue(env, 'COFFER_ADDR', 'VAULT_ADDR') ?? DEFAULT_ADDRESS;
}

export function resolveToken(env: Env, homeDir: string): { token: string | undefined; source: TokenSource } {
  const fromCoffer = envValue(env, 'COFFER_TOKEN');
  if (fromCoffer) return { token: fromCoffer, source: 'COFFER_TOKEN' };
  const fromVault = envValue(env, 'VAULT_TOKEN');
  if (fromVault) return { token: fromVault, source: 'VAULT_TOKEN' };
  const fromFile = readTokenFile(homeDir);
  if (fromFile) return { token: fromFile, source: 'token file' };
  return { token: undefined, source: 'none' };
}

/** Truthy in the loose way Go's strconv.ParseBool is (plus "yes"); an unparsable value is false. */
export function envBool(value: string | undefined): boolean {
  if (value === undefined) return false;
  return ['1', 't', 'true', 'yes', 'y'].includes(value.trim().toLowerCase());
}

/** VAULT_CLIENT_TIMEOUT: seconds ("60") or a simple duration ("90s", "2m"). */
export function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) return undefined;
  const n = Number.parseFloat(m[1]!);
  const unit = m[2] ?? 's';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  return Math.round(n * factor);
}

export function resolveConfig(env: Env, homeDir: string, flags: ConfigFlags = {}): CliConfig {
  const { token, source } = resolveToken(env, homeDir);
  const ns = flags.namespace ?? envValue(env, 'COFFER_NAMESPACE', 'VAULT_NAMESPACE');
  return {
    address: resolveAddress(env, flags.address),
    token,
    tokenSource: source,
    namespace: ns === undefined || ns === '' ? undefined : ns,
    caCert: flags.caCert ?? envValue(env, 'COFFER_CACERT', 'VAULT_CACERT'),
    insecure: flags.tlsSkipVerify === true || envBool(env['COFFER_SKIP_VERIFY']) || envBool(env['VAULT_SKIP_VERIFY']),
    timeoutMs: parseTimeout(envValue(env, 'COFFER_CLIENT_TIMEOUT', 'VAULT_CLIENT_TIMEOUT')),
  };
}

export function tokenFilePath(homeDir: string): string {
  return join(homeDir, TOKEN_FILE_NAME);
}

export function readTokenFile(homeDir: string): string | undefined {
  try {
    const t = readFileSync(tokenFilePath(homeDir), 'utf8').trim();
    return t === '' ? undefined : t;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Writes ~/.vault-token with mode 0600 (atomically: temp file, then rename). */
export function writeTokenFile(homeDir: string, token: string): string {
  const path = tokenFilePath(homeDir);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, token, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  return path;
}
