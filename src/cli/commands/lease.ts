// `coffer lease lookup|renew|revoke`: the leases of dynamic secrets (sys/leases/*), as the Vault CLI
// offers them. `lookup` and `renew` print like `read`; `revoke` queues the revocation on the server
// unless -sync (or -force, which always waits) is given, and says which of the two happened.
import { cleanLeaseId, createLeaseApi, type LeaseApi } from '../../client/leases.js';
import { parseDurationSeconds } from '../../lib/duration.js';
import { EXIT_OK, UsageError } from './errors.js';
import { dispatch, HTTP_FLAGS, OUTPUT_FLAGS, type Command, type Ctx, type Io } from './runtime.js';

function leases(ctx: Ctx): LeaseApi {
  return createLeaseApi(ctx.client);
}

/** The single LEASE_ID argument (flag parsing already checked there is exactly one). */
function leaseArg(ctx: Ctx, what = 'lease id'): string {
  try {
    return cleanLeaseId(ctx.args[0]!, what);
  } catch (err) {
    throw new UsageError((err as Error).message, [`give the full ${what}, e.g. database/creds/readonly/AbCd1234…`]);
  }
}

/** -increment as whole seconds (Go duration or seconds; 0 = the lease's own TTL). */
export function parseIncrement(raw: string): number {
  try {
    return parseDurationSeconds(raw, `-increment ${JSON.stringify(raw)}`);
  } catch (err) {
    throw new UsageError((err as Error).message, ['use a duration such as -increment=1h, -increment=90m or -increment=3600 (seconds)']);
  }
}

const lookup: Command = {
  def: {
    name: 'lease lookup',
    args: 'LEASE_ID',
    summary: 'Show when a lease was issued, last renewed and expires, its TTL and whether it is renewable.',
    flags: [...HTTP_FLAGS, ...OUTPUT_FLAGS],
    minArgs: 1,
    maxArgs: 1,
  },
  async run(ctx) {
    ctx.printSecret(await leases(ctx).leaseLookup(leaseArg(ctx)));
    return EXIT_OK;
  },
};

const renew: Command = {
  def: {
    name: 'lease renew',
    args: 'LEASE_ID',
    summary: 'Renew a lease: its TTL becomes -increment (default: its own TTL), capped at its max TTL.',
    description: 'When the max TTL caps the renewal the server says so in a warning (printed on stderr).',
    flags: [
      { name: 'increment', aliases: ['i'], kind: 'string', value: 'DURATION', usage: 'Requested TTL from now, e.g. 1h or 3600 (default: the lease\'s own TTL).' },
      ...HTTP_FLAGS, ...OUTPUT_FLAGS,
    ],
    minArgs: 1,
    maxArgs: 1,
  },
  async run(ctx) {
    const increment = ctx.p.has('increment') ? parseIncrement(ctx.p.str('increment')!) : undefined;
    ctx.printSecret(await leases(ctx).leaseRenew(leaseArg(ctx), increment));
    return EXIT_OK;
  },
};

const FORCE_WARNING = 'Warning! A forced revocation forgets leases even when the secrets engine could not revoke them: '
  + 'the secrets may still work. Use it only when they were removed by other means.\n';

/** The line printed after a revocation the server accepted. */
export function revokeMessage(id: string, opts: { prefix: boolean; force: boolean; sync: boolean }): string {
  if (opts.force) return `Success! Force revoked any leases with prefix: ${id}`;
  if (!opts.sync) return 'All revocation operations queued successfully!';
  return opts.prefix ? `Success! Revoked any leases with prefix: ${id}` : `Success! Revoked lease: ${id}`;
}

const revoke: Command = {
  def: {
    name: 'lease revoke',
    args: 'LEASE_ID|PREFIX',
    summary: 'Revoke a lease (or, with -prefix, every lease under a prefix): the engine removes the secret.',
    description: 'Without -sync the server queues the revocation and keeps retrying it if the engine fails.\n'
      + 'With -sync the command waits, and a failure is reported (exit 2); retrying is then up to you.\n'
      + 'An unknown lease id is not an error. -prefix and -force need a sudo policy on sys/leases/revoke-*.',
    flags: [
      { name: 'prefix', kind: 'bool', usage: 'Treat the argument as a prefix and revoke every lease under it.' },
      { name: 'force', aliases: ['f'], kind: 'bool', usage: 'With -prefix: forget the leases even when the engine fails to revoke them (recovery only; always synchronous).' },
      { name: 'sync', kind: 'bool', usage: 'Wait for the revocation to finish instead of queuing it.' },
      ...HTTP_FLAGS,
    ],
    minArgs: 1,
    maxArgs: 1,
  },
  async run(ctx) {
    const prefix = ctx.p.bool('prefix');
    const force = ctx.p.bool('force');
    if (force && !prefix) throw new UsageError('-force requires -prefix', ['a forced revocation works on a prefix: coffer lease revoke -force -prefix PREFIX (a full lease id is a valid prefix)']);
    const sync = force || ctx.p.bool('sync');
    const id = leaseArg(ctx, prefix ? 'prefix' : 'lease id');
    if (force) ctx.io.err(FORCE_WARNING);
    await leases(ctx).leaseRevoke(id, { prefix, force, sync });
    ctx.success(revokeMessage(id, { prefix, force, sync }));
    return EXIT_OK;
  },
};

const COMMANDS: Record<string, Command> = { lookup, renew, revoke };

export const run = (argv: string[], io: Io): Promise<number> =>
  dispatch('lease', 'Look up, renew and revoke the leases of dynamic secrets.', COMMANDS, argv, io);
