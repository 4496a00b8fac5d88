// Typed calls for the recovery endpoints: rekey (sys/rekey/*) and root token generation
// (sys/generate-root/*). Both are bare (no envelope) and need no token, except the rekey backup.
import type { Client, Secret } from './client.js';

export interface RekeyStatus {
  nonce: string;
  started: boolean;
  t: number;
  n: number;
  progress: number;
  required: number;
  pgp_fingerprints: string[] | null;
  backup: boolean;
  verification_required: boolean;
  verification_nonce?: string;
}

export interface RekeyUpdateResult {
  nonce: string;
  complete: boolean;
  keys?: string[];
  keys_base64?: string[];
  pgp_fingerprints?: string[] | null;
  backup?: boolean;
  verification_required?: boolean;
  verification_nonce?: string;
}

export interface RekeyVerifyStatus {
  nonce: string;
  started: boolean;
  t: number;
  n: number;
  progress: number;
  complete?: boolean;
}

export interface RekeyInitRequest {
  secret_shares: number;
  secret_threshold: number;
  pgp_keys?: string[];
  backup?: boolean;
  require_verification?: boolean;
}

export interface RekeyBackup {
  nonce: string;
  keys: Record<string, string[]>;
  keys_base64: Record<string, string[]>;
}

export interface GenerateRootStatus {
  nonce: string;
  started: boolean;
  progress: number;
  required: number;
  complete: boolean;
  encoded_token: string;
  encoded_root_token: string;
  pgp_fingerprint: string;
  otp: string;
  otp_length: number;
}

export function createRecoveryApi(client: Pick<Client, 'request'>) {
  async function body<T>(p: Promise<{ body: T | null }>): Promise<T> {
    const r = await p;
    if (r.body === null) throw new TypeError('the server returned an empty body');
    return r.body;
  }
  return {
    rekeyStatus: () => body(client.request<RekeyStatus>('GET', 'sys/rekey/init')),
    rekeyInit: (req: RekeyInitRequest) => body(client.request<RekeyStatus>('PUT', 'sys/rekey/init', { body: req })),
    rekeyCancel: async (nonce: string) => { await client.request('DELETE', 'sys/rekey/init', { body: { nonce } }); },
    /** Status while below the threshold (complete absent), the new keys once it is reached. */
    rekeyUpdate: (key: string, nonce: string) => body(client.request<RekeyUpdateResult & Partial<RekeyStatus>>('PUT', 'sys/rekey/update', { body: { key, nonce } })),
    rekeyVerifyStatus: () => body(client.request<RekeyVerifyStatus>('GET', 'sys/rekey/verify')),
    rekeyVerify: (key: string, nonce: string) => body(client.request<RekeyVerifyStatus>('PUT', 'sys/rekey/verify', { body: { key, nonce } })),
    rekeyVerifyRestart: () => body(client.request<RekeyVerifyStatus>('DELETE', 'sys/rekey/verify')),
    rekeyBackup: async (): Promise<RekeyBackup> => {
      const s = await body(client.request<Secret<RekeyBackup>>('GET', 'sys/rekey/backup'));
      return s.data ?? { nonce: '', keys: {}, keys_base64: {} };
    },
    rekeyBackupDelete: async () => { await client.request('DELETE', 'sys/rekey/backup'); },
    generateRootStatus: () => body(client.request<GenerateRootStatus>('GET', 'sys/generate-root/attempt')),
    generateRootInit: (req: { otp?: string; pgp_key?: string }) => body(client.request<GenerateRootStatus>('PUT', 'sys/generate-root/attempt', { body: req })),
    generateRootCancel: async () => { await client.request('DELETE', 'sys/generate-root/attempt'); },
    generateRootUpdate: (key: string, nonce: string) => body(client.request<GenerateRootStatus>('PUT', 'sys/generate-root/update', { body: { key, nonce } })),
  };
}

export type RecoveryApi = ReturnType<typeof createRecoveryApi>;
