// End-to-end: leased reads and `coffer lease lookup|renew|revoke`, running the real CLI binary over
// HTTP against a server with the test leasing engine (test/helpers/lease-engine.ts) mounted at
// leasy/. The engine's ledger shows what the server asked of it (renewals, revocations). Also the
// lease calls of the API client, and the pure helpers behind the command.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiError, createClient } from '../../src/client/client.js';
import { cleanLeaseId, createLeaseApi, revokeRequest } from '../../src/client/leases.js';
import { describeError, UsageError } from '../../src/cli/commands/errors.js';
import { parseIncrement, revokeMessage } from '../../src/cli/commands/lease.js';
import { createLedger, leaseEngineFactories } from '../helpers/lease-engine.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cliRunner, type CliResult } from './run-cli.js';

const ledger = createLedger();
let server: TestServer;
let home: string;
let coffer: ReturnType<typeof cliRunner>;

before(async () => {
  server = await startTestServer({ ext: { factories: leaseEngineFactories(ledger) } });
  home = mkdtempSync(join(tmpdir(), 'coffer-cli-lease-'));
  coffer = cliRunner(home, { COFFER_ADDR: server.address, COFFER_TOKEN: server.rootToken });
  const enable = await coffer(['secrets', 'enable', '-path=leasy', 'test-lease']);
  assert.equal(enable.code, 0, enable.stderr);
});

after(async () => {
  await server?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

interface Issued {
  leaseId: string;
  username: string;
}

/** Reads leasy/creds/ROLE (query pairs such as ttl=1h) and returns the lease id and user name. */
async function issue(role: string, ...query: string[]): Promise<Issued> {
  const r = await coffer(['read', '-format=json', `leasy/creds/${role}`, ...query]);
  assert.equal(r.code, 0, r.stderr);
  const env = JSON.parse(r.stdout);
  assert.ok(env.lease_id.startsWith(`leasy/creds/${role}/`), env.lease_id);
  return { leaseId: env.lease_id, username: env.data.username };
}

function ok(r: CliResult): CliResult {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.stderr}`);
  return r;
}

/** Waits for a queued (background) revocation to reach the engine; fails after `ms`. */
async function revokedEventually(name: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!ledger.revoked.includes(name)) {
    if (Date.now() > until) assert.fail(`${name} was never revoked; revoked: ${ledger.revoked.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('read of a leased secret', () => {
  it('shows lease_id, lease_duration and lease_renewable before the data rows', async () => {
    const r = ok(await coffer(['read', 'leasy/creds/table', 'ttl=1h', 'max_ttl=2h']));
    const m = /^Key {16}Value\n--- {16}-----\nlease_id {11}(leasy\/creds\/table\/\S+)\nlease_duration {5}1h\nlease_renewable {4}true\npassword {11}pw-(table-\d+)\nusername {11}(table-\d+)\n$/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.equal(m[2], m[3]);
    assert.ok(ledger.issued.includes(m[3]!));
    assert.equal(r.stderr, '');
  });

  it('shows the mount default TTL as a Go duration (768h) and a non-renewable lease as false', async () => {
    const r = ok(await coffer(['read', 'leasy/creds/dflt', 'renewable=false']));
    assert.match(r.stdout, /^lease_duration {5}768h$/m);
    assert.match(r.stdout, /^lease_renewable {4}false$/m);
  });

  it('-field prints one data value, or a lease field', async () => {
    const user = ok(await coffer(['read', '-field=username', 'leasy/creds/field']));
    assert.match(user.stdout, /^field-\d+$/);
    const id = ok(await coffer(['read', '-field=lease_id', 'leasy/creds/field']));
    assert.match(id.stdout, /^leasy\/creds\/field\/\S+$/);
    const duration = ok(await coffer(['read', '-field=lease_duration', 'leasy/creds/field', 'ttl=90m']));
    assert.equal(duration.stdout, '1h30m');
  });

  it('-format=json prints the whole envelope, lease_id included', async () => {
    const r = ok(await coffer(['read', '-format=json', 'leasy/creds/json', 'ttl=10m']));
    const env = JSON.parse(r.stdout);
    assert.match(env.lease_id, /^leasy\/creds\/json\/\S+$/);
    assert.equal(env.lease_duration, 600);
    assert.equal(env.renewable, true);
    assert.equal(env.data.password, `pw-${env.data.username}`);
  });
});

describe('coffer lease lookup', () => {
  it('prints expire_time, id, issue_time, last_renewal, renewable and ttl', async () => {
    const { leaseId } = await issue('look', 'ttl=1h');
    const r = ok(await coffer(['lease', 'lookup', leaseId]));
    const keys = [...r.stdout.matchAll(/^(\S+) /gm)].map((m) => m[1]);
    assert.deepEqual(keys, ['Key', '---', 'expire_time', 'id', 'issue_time', 'last_renewal', 'renewable', 'ttl']);
    assert.match(r.stdout, new RegExp(`^id {14}${leaseId}$`, 'm'));
    assert.match(r.stdout, /^issue_time {6}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/m);
    assert.match(r.stdout, /^last_renewal {4}<nil>$/m);
    assert.match(r.stdout, /^renewable {7}true$/m);
    assert.match(r.stdout, /^ttl {13}(1h|59m\d+s)$/m);
  });

  it('-format=json prints the envelope with the lease facts in data', async () => {
    const { leaseId } = await issue('look', 'ttl=1h');
    const r = ok(await coffer(['lease', 'lookup', '-format=json', leaseId]));
    const data = JSON.parse(r.stdout).data;
    assert.equal(data.id, leaseId);
    assert.equal(data.renewable, true);
    assert.equal(data.last_renewal, null);
    assert.ok(data.ttl > 3000 && data.ttl <= 3600, String(data.ttl));
    assert.equal(Date.parse(data.expire_time) - Date.parse(data.issue_time), 3600_000);
  });

  it('-field=ttl prints the seconds left', async () => {
    const { leaseId } = await issue('look', 'ttl=1h');
    const r = ok(await coffer(['lease', 'lookup', '-field=ttl', leaseId]));
    assert.match(r.stdout, /^\d+$/);
    assert.ok(Number(r.stdout) > 3000 && Number(r.stdout) <= 3600);
  });

  it('an unknown lease id exits 2 with the server\'s error and a hint', async () => {
    const r = await coffer(['lease', 'lookup', 'leasy/creds/look/NoSuchLease']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^coffer: error: invalid lease \(HTTP 400 on PUT \/v1\/sys\/leases\/lookup\)$/m);
    assert.match(r.stderr, /^hint: no lease has that id: it may have expired or been revoked/m);
  });
});

describe('coffer lease renew', () => {
  it('-increment sets the new TTL; the output is the lease table; the engine sees the renewal', async () => {
    const { leaseId, username } = await issue('renew', 'ttl=1h', 'max_ttl=2h');
    const r = ok(await coffer(['lease', 'renew', '-increment=90m', leaseId]));
    assert.equal(r.stdout, `Key                Value\n---                -----\nlease_id           ${leaseId}\nlease_duration     1h30m\nlease_renewable    true\n`);
    assert.equal(r.stderr, '');
    assert.deepEqual(ledger.renewed.filter((x) => x.name === username), [{ name: username, ttl: 5400 }]);
    const look = JSON.parse(ok(await coffer(['lease', 'lookup', '-format=json', leaseId])).stdout).data;
    assert.ok(look.ttl > 3600 && look.ttl <= 5400, String(look.ttl));
    assert.notEqual(look.last_renewal, null);
  });

  it('takes seconds and -i, and -format=json prints the envelope', async () => {
    const { leaseId } = await issue('renew', 'ttl=1h', 'max_ttl=2h');
    const r = ok(await coffer(['lease', 'renew', '-i', '600', '-format=json', leaseId]));
    const env = JSON.parse(r.stdout);
    assert.equal(env.lease_id, leaseId);
    assert.equal(env.lease_duration, 600);
    assert.equal(env.renewable, true);
    assert.equal(env.data, null);
  });

  it('without -increment renews for the lease\'s own TTL', async () => {
    const { leaseId } = await issue('renew', 'ttl=20m', 'max_ttl=2h');
    const r = ok(await coffer(['lease', 'renew', '-field=lease_duration', leaseId]));
    assert.equal(r.stdout, '20m');
  });

  it('beyond max_ttl: capped, with the server\'s warning on stderr (and in the JSON envelope)', async () => {
    const { leaseId } = await issue('capped', 'ttl=1h', 'max_ttl=2h');
    const r = ok(await coffer(['lease', 'renew', '-increment=5h', leaseId]));
    assert.match(r.stderr, /^WARNING! The following warnings were returned from the server:$/m);
    assert.match(r.stderr, /^ {2}\* TTL of "5h0m0s" exceeded the effective max_ttl of "(1h59m\d+s|2h0m0s)"; TTL value is capped accordingly$/m);
    assert.match(r.stdout, /^lease_duration {5}(1h59m\d+s|2h)$/m);
    const j = ok(await coffer(['lease', 'renew', '-increment=5h', '-format=json', leaseId]));
    const env = JSON.parse(j.stdout);
    assert.ok(env.lease_duration > 3600 && env.lease_duration <= 7200, String(env.lease_duration));
    assert.equal(env.warnings.length, 1);
    assert.match(env.warnings[0], /exceeded the effective max_ttl/);
  });

  it('a non-renewable lease exits 2 with the server\'s error', async () => {
    const { leaseId } = await issue('fixed', 'renewable=false');
    const r = await coffer(['lease', 'renew', leaseId]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^coffer: error: lease is not renewable \(HTTP 400 on PUT \/v1\/sys\/leases\/renew\)$/m);
    assert.match(r.stderr, /^hint: the engine issued this lease as non-renewable/m);
  });

  it('an unknown lease id exits 2', async () => {
    const r = await coffer(['lease', 'renew', '-increment=1h', 'leasy/creds/renew/NoSuchLease']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^coffer: error: lease not found \(HTTP 400 on PUT \/v1\/sys\/leases\/renew\)$/m);
  });

  it('a malformed -increment is a usage error (exit 1) and nothing is sent', async () => {
    const { leaseId, username } = await issue('renew', 'ttl=1h');
    for (const bad of ['soon', '-5m']) {
      const r = await coffer(['lease', 'renew', `-increment=${bad}`, leaseId]);
      assert.equal(r.code, 1, bad);
      assert.match(r.stderr, /^coffer: error: invalid -increment/m);
      assert.match(r.stderr, /^hint: use a duration such as -increment=1h/m);
    }
    assert.equal(ledger.renewed.filter((x) => x.name === username).length, 0);
  });
});

describe('coffer lease revoke', () => {
  it('-sync revokes now; lookup and renew then fail with exit 2', async () => {
    const { leaseId, username } = await issue('gone', 'ttl=1h');
    const r = ok(await coffer(['lease', 'revoke', '-sync', leaseId]));
    assert.equal(r.stdout, `Success! Revoked lease: ${leaseId}\n`);
    assert.ok(ledger.revoked.includes(username));
    const look = await coffer(['lease', 'lookup', leaseId]);
    assert.equal(look.code, 2);
    assert.match(look.stderr, /^coffer: error: invalid lease /m);
    const renew = await coffer(['lease', 'renew', leaseId]);
    assert.equal(renew.code, 2);
    assert.match(renew.stderr, /lease not found/);
  });

  it('without -sync the revocation is queued (as in Vault) and done in the background', async () => {
    const { leaseId, username } = await issue('queued', 'ttl=1h');
    const r = ok(await coffer(['lease', 'revoke', leaseId]));
    assert.equal(r.stdout, 'All revocation operations queued successfully!\n');
    await revokedEventually(username);
    assert.equal((await coffer(['lease', 'lookup', leaseId])).code, 2);
  });

  it('an unknown lease id is not an error (as in Vault)', async () => {
    const r = ok(await coffer(['lease', 'revoke', '-sync', 'leasy/creds/gone/NoSuchLease']));
    assert.equal(r.stdout, 'Success! Revoked lease: leasy/creds/gone/NoSuchLease\n');
  });

  it('-prefix revokes every lease under the prefix and nothing else', async () => {
    const batch = [await issue('batch', 'ttl=1h'), await issue('batch', 'ttl=2h'), await issue('batch')];
    const keep = await issue('batchkeep', 'ttl=1h');
    const r = ok(await coffer(['lease', 'revoke', '-prefix', '-sync', 'leasy/creds/batch']));
    assert.equal(r.stdout, 'Success! Revoked any leases with prefix: leasy/creds/batch\n');
    for (const b of batch) {
      assert.ok(ledger.revoked.includes(b.username), b.username);
      assert.equal((await coffer(['lease', 'lookup', b.leaseId])).code, 2);
    }
    assert.ok(!ledger.revoked.includes(keep.username), 'leasy/creds/batchkeep is not under leasy/creds/batch/');
    ok(await coffer(['lease', 'lookup', keep.leaseId]));
  });

  it('-prefix without -sync is queued too', async () => {
    const a = await issue('qprefix');
    const r = ok(await coffer(['lease', 'revoke', '-prefix', 'leasy/creds/qprefix/']));
    assert.equal(r.stdout, 'All revocation operations queued successfully!\n');
    await revokedEventually(a.username);
  });

  it('-force without -prefix is a usage error (exit 1) and revokes nothing', async () => {
    const { leaseId, username } = await issue('forced', 'ttl=1h');
    for (const flag of ['-force', '-f']) {
      const r = await coffer(['lease', 'revoke', flag, leaseId]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^coffer: error: -force requires -prefix$/m);
    }
    assert.ok(!ledger.revoked.includes(username));
    ok(await coffer(['lease', 'lookup', leaseId]));
  });

  it('when the engine fails: -sync exits 2 and keeps the lease; -force -prefix drops it with a warning', async () => {
    const { leaseId, username } = await issue('broken', 'ttl=1h');
    ledger.failRevoke = true;
    try {
      const r = await coffer(['lease', 'revoke', '-sync', leaseId]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^coffer: error: test database unreachable \(HTTP 500 on PUT \/v1\/sys\/leases\/revoke\)$/m);
      ok(await coffer(['lease', 'lookup', leaseId]));
      const f = ok(await coffer(['lease', 'revoke', '-force', '-prefix', leaseId]));
      assert.equal(f.stdout, `Success! Force revoked any leases with prefix: ${leaseId}\n`);
      assert.match(f.stderr, /^Warning! A forced revocation forgets leases/m);
    } finally {
      ledger.failRevoke = false;
    }
    assert.ok(!ledger.revoked.includes(username), 'the engine never revoked it');
    assert.equal((await coffer(['lease', 'lookup', leaseId])).code, 2);
  });
});

describe('coffer lease: arguments', () => {
  it('missing or extra arguments print the usage and exit 1', async () => {
    for (const sub of ['lookup', 'renew', 'revoke']) {
      const none = await coffer(['lease', sub]);
      assert.equal(none.code, 1, sub);
      assert.match(none.stderr, /^coffer: error: not enough arguments \(expected 1, got 0\)$/m);
      assert.match(none.stderr, new RegExp(`^hint: usage: coffer lease ${sub} \\[flags\\] LEASE_ID`, 'm'));
      const two = await coffer(['lease', sub, 'leasy/creds/a/x', 'leasy/creds/a/y']);
      assert.equal(two.code, 1, sub);
      assert.match(two.stderr, /^coffer: error: too many arguments \(expected at most 1, got 2\)$/m);
    }
  });

  it('a blank id is a usage error', async () => {
    const r = await coffer(['lease', 'lookup', '  ']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^coffer: error: the lease id is empty$/m);
  });

  it('"coffer lease" alone lists the subcommands on stderr and exits 1; an unknown one exits 1', async () => {
    const r = await coffer(['lease']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Usage: coffer lease <subcommand>/);
    assert.match(r.stderr, /^ {4}lookup {4}/m);
    assert.match(r.stderr, /^ {4}renew {5}/m);
    assert.match(r.stderr, /^ {4}revoke {4}/m);
    const unknown = await coffer(['lease', 'list']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown command "lease list"/);
  });

  it('-help prints the flags and exits 0; an unknown flag exits 1', async () => {
    const help = ok(await coffer(['lease', 'revoke', '-help']));
    assert.match(help.stdout, /^Usage: coffer lease revoke \[flags\] LEASE_ID\|PREFIX$/m);
    for (const f of ['-prefix', '-force, -f', '-sync']) assert.ok(help.stdout.includes(`  ${f}\n`), f);
    const bad = await coffer(['lease', 'renew', '-bogus', 'x']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /flag provided but not defined: -bogus/);
  });

  it('the top-level help lists the lease command', async () => {
    const r = ok(await coffer(['-help']));
    assert.match(r.stdout, /^ {4}lease {4,}Look up, renew and revoke the leases of dynamic secrets$/m);
  });
});

describe('API client: lease calls', () => {
  it('looks up, renews (duration string), lists and revokes by prefix', async () => {
    const api = createLeaseApi(createClient({ address: server.address, token: server.rootToken }));
    const a = await issue('client', 'ttl=1h', 'max_ttl=3h');
    const b = await issue('client', 'ttl=1h');
    const look = await api.leaseLookup(a.leaseId);
    assert.equal(look.data?.id, a.leaseId);
    assert.equal(look.data?.renewable, true);
    const renewed = await api.leaseRenew(a.leaseId, '30m');
    assert.equal(renewed.lease_id, a.leaseId);
    assert.equal(renewed.lease_duration, 1800);
    assert.equal(renewed.warnings, null);
    const ids = await api.leaseList('leasy/creds/client');
    assert.deepEqual([...ids].sort(), [a.leaseId, b.leaseId].map((id) => id.split('/').pop()).sort());
    assert.ok((await api.leaseList('leasy/creds/')).includes('client/'));
    await api.leaseRevoke('leasy/creds/client/', { prefix: true });
    assert.deepEqual(await api.leaseList('leasy/creds/client/'), []);
    assert.ok(ledger.revoked.includes(a.username) && ledger.revoked.includes(b.username));
    await assert.rejects(api.leaseLookup(a.leaseId), (err: unknown) => err instanceof ApiError && err.status === 400);
  });

  it('builds revocation requests: ids in the body, prefixes in the URL, sync explicit', () => {
    assert.deepEqual(revokeRequest(' /db/creds/r/abc '), { path: 'sys/leases/revoke', body: { lease_id: 'db/creds/r/abc', sync: true } });
    assert.deepEqual(revokeRequest('db/creds/r/abc', { sync: false }), { path: 'sys/leases/revoke', body: { lease_id: 'db/creds/r/abc', sync: false } });
    assert.deepEqual(revokeRequest('db/creds/', { prefix: true, sync: false }), { path: 'sys/leases/revoke-prefix/db/creds/', body: { sync: false } });
    assert.deepEqual(revokeRequest('db/creds', { prefix: true, force: true }), { path: 'sys/leases/revoke-force/db/creds', body: { sync: true } });
    assert.throws(() => revokeRequest('db/creds/r/abc', { force: true }), TypeError);
    assert.throws(() => revokeRequest('  ', { prefix: true }), /the prefix is empty/);
    assert.throws(() => cleanLeaseId('/'), /the lease id is empty/);
  });
});

describe('lease command helpers', () => {
  it('parseIncrement: durations and seconds to whole seconds; bad values are usage errors', () => {
    assert.equal(parseIncrement('1h'), 3600);
    assert.equal(parseIncrement('90m'), 5400);
    assert.equal(parseIncrement('3600'), 3600);
    assert.equal(parseIncrement('0'), 0);
    assert.throws(() => parseIncrement('later'), UsageError);
    assert.throws(() => parseIncrement('-1h'), UsageError);
  });

  it('revokeMessage says whether the revocation happened or was queued', () => {
    assert.equal(revokeMessage('a/b/c', { prefix: false, force: false, sync: false }), 'All revocation operations queued successfully!');
    assert.equal(revokeMessage('a/b', { prefix: true, force: false, sync: false }), 'All revocation operations queued successfully!');
    assert.equal(revokeMessage('a/b/c', { prefix: false, force: false, sync: true }), 'Success! Revoked lease: a/b/c');
    assert.equal(revokeMessage('a/b', { prefix: true, force: false, sync: true }), 'Success! Revoked any leases with prefix: a/b');
    assert.equal(revokeMessage('a/b', { prefix: true, force: true, sync: true }), 'Success! Force revoked any leases with prefix: a/b');
  });

  it('lease errors get lease hints; the same text on another path does not', () => {
    const ctx = { address: 'http://127.0.0.1:8200', hasToken: true, sensitive: [] };
    const expired = describeError(new ApiError(400, ['lease expired'], 'PUT', 'sys/leases/renew', null), ctx);
    assert.equal(expired.exitCode, 2);
    assert.match(expired.lines[1]!, /^hint: the lease has reached its end/);
    const token = describeError(new ApiError(400, ['tokens cannot be renewed through this endpoint'], 'PUT', 'sys/leases/renew', null), ctx);
    assert.match(token.lines[1]!, /coffer token renew/);
    const legacy = describeError(new ApiError(400, ['lease not found'], 'PUT', 'sys/renew', null), ctx);
    assert.match(legacy.lines[1]!, /^hint: no lease has that id/);
    const elsewhere = describeError(new ApiError(400, ['invalid lease'], 'PUT', 'secret/data/x', null), ctx);
    assert.equal(elsewhere.lines.length, 1);
  });
});
