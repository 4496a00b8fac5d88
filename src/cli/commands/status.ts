// `coffer status`: the seal status (and HA state) of the server. Exit 0 when unsealed, 2 when
// sealed (as the Vault CLI does) or when the server cannot be reached.
import { createSysApi, type LeaderStatus, type SealStatus } from '../../client/sys.js';
import { EXIT_API, EXIT_OK } from './errors.js';
import { execute, HTTP_FLAGS, OUTPUT_FLAGS, type Command, type Io } from './runtime.js';

/** The rows Vault prints for a seal status (shared with `operator unseal`). */
export function sealStatusRows(s: SealStatus, leader?: LeaderStatus): [string, string][] {
  const rows: [string, string][] = [
    ['Seal Type', s.type ?? 'shamir'],
    ['Initialized', String(s.initialized)],
    ['Sealed', String(s.sealed)],
    ['Total Shares', String(s.n)],
    ['Threshold', String(s.t)],
  ];
  if (s.sealed) {
    rows.push(['Unseal Progress', `${s.progress}/${s.t}`], ['Unseal Nonce', s.nonce ? s.nonce : 'n/a']);
  }
  rows.push(['Version', s.version ?? 'n/a']);
  if (s.build_date) rows.push(['Build Date', s.build_date]);
  if (s.storage_type) rows.push(['Storage Type', s.storage_type]);
  if (s.cluster_name) rows.push(['Cluster Name', s.cluster_name]);
  if (s.cluster_id) rows.push(['Cluster ID', s.cluster_id]);
  if (leader) {
    rows.push(['HA Enabled', String(leader.ha_enabled)]);
    if (leader.ha_enabled) {
      rows.push(['HA Mode', leader.is_self ? 'active' : 'standby']);
      if (leader.leader_address) rows.push(['Active Node Address', leader.leader_address]);
    }
  }
  return rows;
}

const status: Command = {
  def: {
    name: 'status',
    args: '',
    summary: 'Print the seal status of the server (exit 0 unsealed, 2 sealed or unreachable).',
    flags: [...HTTP_FLAGS, ...OUTPUT_FLAGS],
    maxArgs: 0,
  },
  async run(ctx) {
    const sys = createSysApi(ctx.client);
    const seal = await sys.sealStatus();
    let leader: LeaderStatus | undefined;
    if (!seal.sealed) {
      try {
        leader = await sys.leader();
      } catch {
        leader = undefined; // HA information is optional; the seal status is what matters
      }
    }
    const whole: Record<string, unknown> = { ...seal, ...(leader ? { ha_enabled: leader.ha_enabled, is_self: leader.is_self, leader_address: leader.leader_address } : {}) };
    ctx.printData(whole, sealStatusRows(seal, leader));
    return seal.sealed ? EXIT_API : EXIT_OK;
  },
};

export const run = (argv: string[], io: Io): Promise<number> => execute(status, argv, io);
