// Typed calls for the bare (non-envelope) sys endpoints: init, seal status, unseal, seal, leader,
// and the key rotation pair. Everything else goes through the generic helpers of client.ts.
import type { Client, Secret } from './client.js';

export interface SealStatus {
  type: string;
  initialized: boolean;
  sealed: boolean;
  t: number;
  n: number;
  progress: number;
  nonce: string;
  version: string;
  build_date?: string;
  migration?: boolean;
  recovery_seal?: boolean;
  storage_type?: string;
  cluster_name?: string;
  cluster_id?: string;
}

export interface InitRequest {
  secret_shares: number;
  secret_threshold: number;
  pgp_keys?: string[];
  root_token_pgp_key?: string;
  recovery_shares?: number;
  recovery_threshold?: number;
}

export interface InitResponse {
  keys: string[];
  keys_base64: string[];
  root_token: string;
  recovery_keys?: string[];
  recovery_keys_base64?: string[];
}

export interface LeaderStatus {
  ha_enabled: boolean;
  is_self: boolean;
  active_time?: string;
  leader_address: string;
  leader_cluster_address: string;
  performance_standby?: boolean;
}

export interface KeyStatus {
  term: number;
  install_time: string;
  encryptions?: number;
}

export function createSysApi(client: Pick<Client, 'request'>) {
  async function body<T>(p: Promise<{ body: T | null }>): Promise<T> {
    const r = await p;
    if (r.body === null) throw new TypeError('the server returned an empty body');
    return r.body;
  }
  return {
    sealStatus: () => body(client.request<SealStatus>('GET', 'sys/seal-status')),
    initStatus: async () => (await body(client.request<{ initialized: boolean }>('GET', 'sys/init'))).initialized,
    init: (req: InitRequest) => body(client.request<InitResponse>('PUT', 'sys/init', { body: req })),
    unseal: (key: string) => body(client.request<SealStatus>('PUT', 'sys/unseal', { body: { key } })),
    unsealReset: () => body(client.request<SealStatus>('PUT', 'sys/unseal', { body: { reset: true } })),
    seal: async () => { await client.request('PUT', 'sys/seal'); },
    leader: () => body(client.request<LeaderStatus>('GET', 'sys/leader')),
    rotate: async () => { await client.request('PUT', 'sys/rotate'); },
    keyStatus: async () => {
      const s = await body(client.request<Secret<KeyStatus> & Partial<KeyStatus>>('GET', 'sys/key-status'));
      return s.data ?? { term: s.term ?? 0, install_time: s.install_time ?? '', encryptions: s.encryptions };
    },
  };
}

export type SysApi = ReturnType<typeof createSysApi>;
