// sys/remount over HTTP (node-vault's raw write, as clients' mount helpers call it) and
// `coffer secrets move` / `coffer auth move`: a mount moves with all its data, keeps its uuid and
// accessor, its leases (dynamic secrets, tokens of an auth method) are revoked as Vault does, and
// protected mounts, taken destinations and bad paths are refused with 400 and change nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createLedger, leaseEngineFactories, type LeaseLedger } from '../helpers/lease-engine.js';
import { createLoginLedger, loginMethodFactories } from '../helpers/login-method.js';
import { runCli } from '../cli/run-cli.js';

const require = createRequire(import.meta.url);
const nodeVault = require('node-vault') as (opts: Record<string, unknown>) => any;

describe('sys/remount', () => {
  let srv: TestServer;
  let vault: any;
  let ledger: LeaseLedger;
  const root = () => ({ token: srv.rootToken });

  /** Polls sys/remount/status/<id> until the move has finished; returns the migration info. */
  async function finished(id: string): Promise<Record<string, string>> {
    for (let i = 0; i < 200; i++) {
      const s = await vault.read(`sys/remount/status/${id}`);
      if (s.data.migration_info.status !== 'in-progress') return s.data.migration_info;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`migration ${id} did not finish`);
  }

  async function mounts(kind: 'mounts' | 'auth'): Promise<Record<string, any>> {
    return (await srv.request('GET', `sys/${kind}`, root())).body.data;
  }

  before(async () => {
    ledger = createLedger();
    srv = await startTestServer({
      ext: { factories: { ...leaseEngineFactories(ledger), ...loginMethodFactories(createLoginLedger({ alice: 'alice-pw' })) } },
    });
    vault = nodeVault({ apiVersion: 'v1', endpoint: srv.address, token: srv.rootToken });
  });
  after(async () => { await srv.stop(); });

  it('moves a KV v2 engine with all its versions and metadata; uuid, accessor and options are kept', async () => {
    await vault.mount({ mount_point: 'apps', type: 'kv', options: { version: '2' }, description: 'team apps' });
    await vault.write('apps/data/web', { data: { v: 'one' } });
    await vault.write('apps/data/web', { data: { v: 'two' } });
    await vault.write('apps/metadata/web', { custom_metadata: { owner: 'web-team' } });
    const before = (await mounts('mounts'))['apps/'];

    const started = await vault.write('sys/remount', { from: 'apps', to: 'team/apps' });
    assert.match(started.data.migration_id, /^[0-9a-f-]{36}$/);
    const info = await finished(started.data.migration_id);
    assert.deepEqual(info, { source_mount: 'apps/', target_mount: 'team/apps/', status: 'success' });

    const table = await mounts('mounts');
    assert.equal(table['apps/'], undefined);
    const moved = table['team/apps/'];
    assert.equal(moved.uuid, before.uuid);
    assert.equal(moved.accessor, before.accessor);
    assert.equal(moved.description, 'team apps');
    assert.deepEqual(moved.options, { version: '2' });
    const latest = await vault.read('team/apps/data/web');
    assert.deepEqual(latest.data.data, { v: 'two' });
    assert.equal(latest.data.metadata.version, 2);
    assert.deepEqual((await vault.read('team/apps/data/web?version=1')).data.data, { v: 'one' });
    assert.deepEqual((await vault.read('team/apps/metadata/web')).data.custom_metadata, { owner: 'web-team' });
    // Nothing answers at the old path any more.
    assert.equal((await srv.request('GET', 'apps/data/web', root())).status, 404);
    // The KV preflight finds the mount at its new place.
    const ui = await srv.request('GET', 'sys/internal/ui/mounts/team/apps/web', root());
    assert.equal(ui.body.data.path, 'team/apps/');
  });

  it('revokes the leases issued under the old path, and leases at the new path work', async () => {
    assert.equal((await srv.request('POST', 'sys/mounts/dyn', { ...root(), body: { type: 'test-lease' } })).status, 204);
    const creds = await srv.request('GET', 'dyn/creds/app', root());
    const leaseId: string = creds.body.lease_id;
    assert.match(leaseId, /^dyn\/creds\/app\//);
    const started = await srv.request('POST', 'sys/remount', { ...root(), body: { from: 'dyn/', to: 'dyn2/' } });
    assert.equal(started.status, 200);
    assert.equal((await finished(started.body.data.migration_id)).status, 'success');
    assert.deepEqual(ledger.revoked, [creds.body.data.username]);
    const lookup = await srv.request('PUT', 'sys/leases/lookup', { ...root(), body: { lease_id: leaseId } });
    assert.equal(lookup.status, 400);
    const again = await srv.request('GET', 'dyn2/creds/app', root());
    assert.equal(again.status, 200);
    assert.match(again.body.lease_id, /^dyn2\/creds\/app\//);
    assert.equal((await srv.request('PUT', 'sys/leases/revoke', { ...root(), body: { lease_id: again.body.lease_id } })).status, 204);
    assert.deepEqual(ledger.revoked, [creds.body.data.username, again.body.data.username]);
  });

  it('moves an auth method: tokens it issued are revoked, logins work at the new path', async () => {
    assert.equal((await srv.request('POST', 'sys/auth/people', { ...root(), body: { type: 'test-login' } })).status, 204);
    const token: string = (await srv.request('POST', 'auth/people/login', { body: { username: 'alice', password: 'alice-pw' } })).body.auth.client_token;
    assert.equal((await srv.request('GET', 'auth/token/lookup-self', { token })).status, 200);
    const accessor = (await mounts('auth'))['people/'].accessor;

    // An auth mount can only move within auth/.
    const toSecret = await srv.request('POST', 'sys/remount', { ...root(), body: { from: 'auth/people', to: 'people' } });
    assert.equal(toSecret.status, 400);
    assert.match(toSecret.body.errors[0], /cannot remount auth mount to non-auth mount/);

    const started = await vault.write('sys/remount', { from: 'auth/people', to: 'auth/staff' });
    assert.deepEqual(await finished(started.data.migration_id), { source_mount: 'auth/people/', target_mount: 'auth/staff/', status: 'success' });
    assert.equal((await srv.request('GET', 'auth/token/lookup-self', { token })).status, 403);
    const table = await mounts('auth');
    assert.equal(table['people/'], undefined);
    assert.equal(table['staff/'].accessor, accessor);
    // Without a token, a path no mount serves is a 403 (with the root token, a 404).
    assert.equal((await srv.request('POST', 'auth/people/login', { body: { username: 'alice', password: 'alice-pw' } })).status, 403);
    assert.equal((await srv.request('POST', 'auth/people/login', { ...root(), body: { username: 'alice', password: 'alice-pw' } })).status, 404);
    const login = await srv.request('POST', 'auth/staff/login', { body: { username: 'alice', password: 'alice-pw' } });
    assert.equal(login.status, 200);
    const self = await srv.request('GET', 'auth/token/lookup-self', { token: login.body.auth.client_token });
    assert.equal(self.body.data.path, 'auth/staff/login');
  });

  it('refuses protected mounts, taken destinations, unknown sources and bad paths with 400, changing nothing', async () => {
    await vault.mount({ mount_point: 'keep', type: 'kv' });
    await vault.write('keep/x', { v: '1' });
    const before = JSON.stringify([await mounts('mounts'), await mounts('auth')]);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ from: 'sys', to: 'system' }, /cannot remount "sys\/"/],
      [{ from: 'cubbyhole', to: 'cubby' }, /cannot remount "cubbyhole\/"/],
      [{ from: 'auth/token', to: 'auth/tokens' }, /cannot remount "auth\/token\/"/],
      [{ from: 'keep', to: 'sys/keep' }, /cannot remount to destination "sys\/keep\/"/],
      [{ from: 'keep', to: 'cubbyhole/keep' }, /cannot remount to destination/],
      [{ from: 'keep', to: 'identity/keep' }, /cannot remount to destination/],
      [{ from: 'keep', to: 'auth/keep' }, /cannot remount to destination/],
      [{ from: 'keep', to: 'team/apps' }, /path already in use at "team\/apps\/"/],
      [{ from: 'keep', to: 'team' }, /path already in use at "team\/apps\/"/],
      [{ from: 'keep', to: 'keep/sub' }, /path already in use at "keep\/"/],
      [{ from: 'nothing-here', to: 'elsewhere' }, /no matching mount at "nothing-here\/"/],
      [{ from: 'keep', to: '' }, /both 'from' and 'to' path must be specified/],
      [{ to: 'x' }, /both 'from' and 'to' path must be specified/],
      [{ from: 'keep', to: null }, /both 'from' and 'to' path must be specified/],
      [{ from: 'keep ', to: 'x' }, /'from' path cannot contain trailing whitespace/],
      [{ from: 'keep', to: 'a/../b' }, /invalid mount path/],
      [{ from: 'keep', to: 'a//b' }, /invalid mount path/],
      [{ from: 'keep', to: 'bad path!' }, /invalid characters in mount path/],
      [{ from: 'keep', to: ['x'] }, /error converting input for field "to"/],
    ];
    for (const [body, message] of cases) {
      const r = await srv.request('POST', 'sys/remount', { ...root(), body });
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.errors[0], message, JSON.stringify(body));
    }
    assert.equal(JSON.stringify([await mounts('mounts'), await mounts('auth')]), before);
    assert.deepEqual((await vault.read('keep/x')).data, { v: '1' });
    // An unknown migration id is a 404.
    assert.equal((await srv.request('GET', 'sys/remount/status/not-a-migration', root())).status, 404);
  });

  it('a move that cannot revoke the old leases fails, reports why, and leaves the mount where it was', async () => {
    assert.equal((await srv.request('POST', 'sys/mounts/stuck', { ...root(), body: { type: 'test-lease' } })).status, 204);
    const creds = await srv.request('GET', 'stuck/creds/app', root());
    ledger.failRevoke = true;
    try {
      const started = await srv.request('POST', 'sys/remount', { ...root(), body: { from: 'stuck', to: 'unstuck' } });
      assert.equal(started.status, 200);
      const info = await finished(started.body.data.migration_id);
      assert.equal(info.status, 'failure');
      assert.equal(info.source_mount, 'stuck/');
      assert.equal(typeof info.status_message, 'string');
      const table = await mounts('mounts');
      assert.ok('stuck/' in table);
      assert.equal(table['unstuck/'], undefined);
    } finally {
      ledger.failRevoke = false;
    }
    assert.equal((await srv.request('PUT', 'sys/leases/revoke', { ...root(), body: { lease_id: creds.body.lease_id } })).status, 204);
  });

  it('needs sudo on sys/remount', async () => {
    await srv.request('PUT', 'sys/policy/mover', { ...root(), body: { policy: 'path "sys/remount" { capabilities = ["update"] }' } });
    const token = (await srv.request('POST', 'auth/token/create', { ...root(), body: { policies: ['mover'] } })).body.auth.client_token;
    assert.equal((await srv.request('POST', 'sys/remount', { token, body: { from: 'keep', to: 'kept' } })).status, 403);
    assert.ok('keep/' in (await mounts('mounts')));
  });
});

describe('sys/remount on SQLite', () => {
  it('the moved mount and its data are where they were moved to after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-remount-'));
    const dbPath = join(dir, 'coffer.db');
    try {
      const first = await startTestServer({ sqlitePath: dbPath });
      const init = await first.request('PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
      const token: string = init.body.root_token;
      const key: string = init.body.keys[0];
      await first.request('PUT', 'sys/unseal', { body: { key } });
      assert.equal((await first.request('POST', 'sys/mounts/before', { token, body: { type: 'kv' } })).status, 204);
      assert.equal((await first.request('POST', 'before/x', { token, body: { v: 'survives' } })).status, 204);
      const started = await first.request('POST', 'sys/remount', { token, body: { from: 'before', to: 'after' } });
      for (let i = 0; i < 200; i++) {
        const s = await first.request('GET', `sys/remount/status/${started.body.data.migration_id}`, { token });
        if (s.body.data.migration_info.status !== 'in-progress') break;
        await new Promise((r) => setTimeout(r, 25));
      }
      await first.stop();
      const second = await startTestServer({ sqlitePath: dbPath });
      try {
        await second.request('PUT', 'sys/unseal', { body: { key } });
        assert.deepEqual((await second.request('GET', 'after/x', { token })).body.data, { v: 'survives' });
        assert.equal((await second.request('GET', 'before/x', { token })).status, 404);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('coffer secrets move / coffer auth move', () => {
  let srv: TestServer;
  let home: string;
  let env: Record<string, string>;
  before(async () => {
    srv = await startTestServer({ kv2At: 'old-kv', ext: { factories: loginMethodFactories(createLoginLedger({ bob: 'bob-pw' })) } });
    home = mkdtempSync(join(tmpdir(), 'coffer-move-'));
    env = { HOME: home, COFFER_ADDR: srv.address, COFFER_TOKEN: srv.rootToken };
    assert.equal((await srv.request('POST', 'old-kv/data/app', { token: srv.rootToken, body: { data: { password: 'moved-along' } } })).status, 200);
    assert.equal((await srv.request('POST', 'sys/auth/people', { token: srv.rootToken, body: { type: 'test-login' } })).status, 204);
  });
  after(async () => {
    await srv.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('moves a secrets engine, waits for the migration and prints success', async () => {
    const r = await runCli(['secrets', 'move', 'old-kv', 'new-kv/'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Success! Finished moving secrets engine old-kv\/ to new-kv\/, with migration ID [0-9a-f-]{36}$/m);
    const get = await runCli(['kv', 'get', '-field=password', 'new-kv/app'], { env });
    assert.equal(get.code, 0, get.stderr);
    assert.equal(get.stdout.trim(), 'moved-along');
    const list = await runCli(['secrets', 'list'], { env });
    assert.doesNotMatch(list.stdout, /^old-kv\//m);
  });

  it('moves an auth method, named with or without auth/', async () => {
    const r = await runCli(['auth', 'move', 'people', 'auth/staff'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Success! Finished moving auth method auth\/people\/ to auth\/staff\//);
    assert.equal((await srv.request('POST', 'auth/staff/login', { body: { username: 'bob', password: 'bob-pw' } })).status, 200);
  });

  it('reports a refused move with the server\'s reason and exit code 2', async () => {
    const r = await runCli(['secrets', 'move', 'cubbyhole', 'cubby'], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot remount "cubbyhole\/"/);
    const usage = await runCli(['secrets', 'move', 'only-one'], { env });
    assert.notEqual(usage.code, 0);
  });
});
