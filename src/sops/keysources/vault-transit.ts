// HashiCorp Vault / Coffer transit master keys (spec §4.3): plain HTTP calls to
// `<addr>/v1/<engine path>/encrypt|decrypt/<key>`, token from VAULT_TOKEN or ~/.vault-token,
// VAULT_NAMESPACE honoured, SOPS_HC_VAULT_ALLOWLIST checked before any request.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { VaultKey } from '../metadata.js';

export interface VaultTransitKeyRef {
  vaultAddress: string;
  enginePath: string;
  keyName: string;
}

/**
 * Parses `https://vault:8200/v1/<engine>/keys/<name>`. A URI without scheme and host
 * (`transit/keys/name` or `/v1/transit/keys/name`) is resolved against VAULT_ADDR.
 */
export function parseVaultTransitUri(uri: string, env: NodeJS.ProcessEnv = process.env): VaultTransitKeyRef {
  let full = uri.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(full)) {
    if (!env.VAULT_ADDR) throw new Error(`Vault transit URI ${JSON.stringify(uri)} has no scheme and host, and VAULT_ADDR is not set`);
    const path = full.replace(/^\/+/, '');
    full = `${env.VAULT_ADDR.replace(/\/+$/, '')}/${path.startsWith('v1/') ? path : `v1/${path}`}`;
  }
  let url: URL;
  try {
    url = new URL(full);
  } catch {
    throw new Error(`invalid Vault transit URI ${JSON.stringify(uri)}`);
  }
  const m = /^\/v1\/(.+)\/keys\/([^/]+)\/?$/.exec(url.pathname);
  if (!m) {
    if (/\/v1\//.test(url.pathname) && !url.pathname.startsWith('/v1/')) throw new Error(`running Vault with a prefixed URL is not supported! (${uri})`);
    throw new Error(`Vault transit URI ${JSON.stringify(uri)} must look like https://vault:8200/v1/<engine path>/keys/<key name>`);
  }
  return { vaultAddress: `${url.protocol}//${url.host}`, enginePath: decodeURIComponent(m[1]!), keyName: decodeURIComponent(m[2]!) };
}

export function vaultToken(env: NodeJS.ProcessEnv): string | undefined {
  if (env.VAULT_TOKEN) return env.VAULT_TOKEN;
  try {
    const t = readFileSync(join(env.HOME || homedir(), '.vault-token'), 'utf8').trim();
    return t || undefined;
  } catch {
    return undefined;
  }
}

function checkAllowlist(address: string, env: NodeJS.ProcessEnv): void {
  const list = (env.SOPS_HC_VAULT_ALLOWLIST ?? 'all').trim();
  if (list === '' || list === 'all') return;
  if (list === 'none') throw new Error('Vault transit is disabled by SOPS_HC_VAULT_ALLOWLIST=none');
  const ok = list.split(',').map((s) => s.trim()).filter(Boolean).some((prefix) => address.startsWith(prefix.replace(/\/+$/, '')));
  if (!ok) throw new Error(`Vault address ${address} is not in SOPS_HC_VAULT_ALLOWLIST`);
}

async function call(ref: VaultTransitKeyRef, op: 'encrypt' | 'decrypt', body: Record<string, string>, env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  checkAllowlist(ref.vaultAddress, env);
  const token = vaultToken(env);
  if (!token) throw new Error('no Vault token: set VAULT_TOKEN or write one to ~/.vault-token');
  const path = ref.enginePath.split('/').map(encodeURIComponent).join('/');
  const url = `${ref.vaultAddress}/v1/${path}/${op}/${encodeURIComponent(ref.keyName)}`;
  const headers: Record<string, string> = { 'X-Vault-Token': token, 'Content-Type': 'application/json', 'X-Vault-Request': 'true' };
  if (env.VAULT_NAMESPACE) headers['X-Vault-Namespace'] = env.VAULT_NAMESPACE;
  let res: Response;
  try {
    res = await fetch(url, { method: 'PUT', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new Error(`cannot reach Vault at ${ref.vaultAddress}: ${cause}`);
  }
  const text = await res.text();
  let json: { data?: Record<string, unknown>; errors?: unknown[] } = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    // Non-JSON error pages are reported by status only.
  }
  if (!res.ok) {
    const errs = Array.isArray(json.errors) ? json.errors.filter((e) => typeof e === 'string').join('; ') : '';
    throw new Error(`Vault ${op} at ${url} failed with HTTP ${res.status}${errs ? `: ${errs}` : ''}`);
  }
  if (!json.data) throw new Error(`Vault ${op} at ${url} returned no data`);
  return json.data;
}

export async function vaultEncrypt(ref: VaultTransitKeyRef, plaintext: Uint8Array, env: NodeJS.ProcessEnv): Promise<string> {
  const data = await call(ref, 'encrypt', { plaintext: Buffer.from(plaintext).toString('base64') }, env);
  if (typeof data.ciphertext !== 'string') throw new Error('Vault encrypt returned no ciphertext');
  return data.ciphertext;
}

export async function vaultDecrypt(key: VaultKey, env: NodeJS.ProcessEnv): Promise<Uint8Array> {
  const data = await call(key, 'decrypt', { ciphertext: key.enc }, env);
  if (typeof data.plaintext !== 'string') throw new Error('Vault decrypt returned no plaintext');
  return new Uint8Array(Buffer.from(data.plaintext, 'base64'));
}
