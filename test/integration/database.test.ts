// Dynamic and static database credentials over HTTP, driven by node-vault (unchanged) against a
// Coffer server and a real database, both started by the test: the issued login can do what the role
// grants and nothing more, and renew, revoke, revoke-prefix, token revocation, TTL expiry, rotate-root
// and scheduled static rotation do what they say in the database itself.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startTestServer, type TestServer } from '../helpers/server.js';
import type { TestDatabase } from '../helpers/postgres.js';
import { eventually, mariadbTarget, postgresTarget, type Target } from './database-targets.js';

const require = createRequire(import.meta.url);
const nodeVault = require('node-vault') as (opts: Record<string, unknown>) => any;

const ADMIN = { user: 'coffer_admin', password: 'Admin-initial-Pw-1' };
const EXISTING = { user: 'app_static', password: 'Static-initial-Pw-1' };

function scenarios(t: Target): void {
  describe(`database engine over HTTP: ${t.name}`, { skip: t.skip }, () => {
    let db: TestDatabase;
    let srv: TestServer;
    let vault: any;

    const login = (user: string, pw: string) => t.runAs(db, user, pw, 'SELECT 1');

    before(async () => {
      db = await t.start();
      await t.setup(db, ADMIN, EXISTING);
      srv = await startTestServer();
      vault = nodeVault({ apiVersion: 'v1', endpoint: srv.address, token: srv.rootToken });
      await vault.mount({ mount_point: 'database', type: 'database' });
      await vault.write('database/config/main', {
        ...t.config(db, ADMIN.user, ADMIN.password), allowed_roles: 'ro,short,bad,static-*',
      });
      await vault.write('database/roles/ro', { db_name: 'main', creation_statements: t.creation, default_ttl: '1h', max_ttl: '24h' });
      await vault.write('database/roles/short', { db_name: 'main', creation_statements: [t.creation], default_ttl: 2, max_ttl: 10 });
      // Started first so that its scheduled rotation happens while the other cases run.
      await vault.write('database/static-roles/static-app', { db_name: 'main', username: EXISTING.user, rotation_period: '5s' });
    });
    after(async () => { await srv?.stop(); await db?.stop(); });

    it('creds: a leased login that can read the table and nothing more', async () => {
      const r = await vault.read('database/creds/ro');
      assert.match(r.lease_id, /^database\/creds\/ro\/[A-Za-z0-9]+$/);
      assert.equal(r.lease_duration, 3600);
      assert.equal(r.renewable, true);
      const { username, password } = r.data;
      assert.match(username, /^v-root-ro-[A-Za-z0-9]{20}/);
      assert.ok(username.length <= t.maxName);
      assert.equal(await t.runAs(db, username, password, 'SELECT count(*) FROM items'), '');
      assert.match(await t.runAs(db, username, password, 'INSERT INTO items VALUES (3)'), /denied/i);
      assert.match(await t.runAs(db, username, 'wrong-password', 'SELECT 1'), /password|denied/i);
      const lookup = await vault.write('sys/leases/lookup', { lease_id: r.lease_id });
      assert.equal(lookup.data.id, r.lease_id);
      assert.ok(lookup.data.ttl > 3500 && lookup.data.ttl <= 3600);
    });

    it('renew extends the lease; revoke drops the user', async () => {
      const r = await vault.read('database/creds/ro');
      const renewed = await vault.renew({ lease_id: r.lease_id, increment: 7200 });
      assert.equal(renewed.lease_id, r.lease_id);
      assert.equal(renewed.lease_duration, 7200);
      assert.equal(await login(r.data.username, r.data.password), '');
      await vault.revoke({ lease_id: r.lease_id });
      assert.equal(await t.userExists(db, r.data.username), false);
      assert.notEqual(await login(r.data.username, r.data.password), '');
      await assert.rejects(vault.write('sys/leases/lookup', { lease_id: r.lease_id }), /invalid lease/);
    });

    it('revoke-prefix removes every login issued under the role', async () => {
      const issued = [await vault.read('database/creds/ro'), await vault.read('database/creds/ro'), await vault.read('database/creds/ro')];
      for (const r of issued) assert.equal(await t.userExists(db, r.data.username), true);
      await vault.write('sys/leases/revoke-prefix/database/creds/ro', {});
      for (const r of issued) assert.equal(await t.userExists(db, r.data.username), false);
      const list = await vault.list('sys/leases/lookup/database/creds/ro/').catch((e: any) => e);
      assert.equal(list.response?.statusCode ?? 200, 404);
    });

    it('revoking the token that read the creds revokes them', async () => {
      await vault.addPolicy({ name: 'db-ro', rules: 'path "database/creds/ro" { capabilities = ["read"] }' });
      const child = (await vault.tokenCreate({ policies: ['db-ro'] })).auth.client_token;
      vault.token = srv.rootToken; // node-vault adopts the created token
      const app = nodeVault({ apiVersion: 'v1', endpoint: srv.address, token: child });
      const r = await app.read('database/creds/ro');
      assert.match(r.data.username, t.maxName === 63 ? /^v-token-ro-/ : /^v-toke-ro-/); // display name truncated to 8 / 4
      assert.equal(await login(r.data.username, r.data.password), '');
      await vault.tokenRevoke({ token: child });
      assert.equal(await t.userExists(db, r.data.username), false);
    });

    it('a lease that reaches its TTL is revoked on time without any request', async () => {
      const r = await vault.read('database/creds/short');
      assert.equal(r.lease_duration, 2);
      assert.equal(await login(r.data.username, r.data.password), '');
      await eventually('the expired user to be dropped', async () => !(await t.userExists(db, r.data.username)));
      assert.notEqual(await login(r.data.username, r.data.password), '');
    });

    it('bad input: unknown role, role outside allowed_roles, bad SQL: clear errors, no lease or user left behind', async () => {
      await assert.rejects(vault.read('database/creds/nope'), (e: any) => e.response.statusCode === 400);
      await vault.write('database/roles/other', { db_name: 'main', creation_statements: t.creation });
      // The spec keeps Vault's status here: a connection that refuses a role is a server-side 500.
      await assert.rejects(vault.read('database/creds/other'), (e: any) => e.response.statusCode === 500 && /"other" is not an allowed role/.test(e.message));
      await vault.write('database/roles/bad', {
        db_name: 'main', creation_statements: `${t.creation} THIS IS NOT SQL;`, revocation_statements: '',
      });
      const before = await vault.list('sys/leases/lookup/database/creds/').catch(() => ({ data: { keys: [] } }));
      const err = await vault.read('database/creds/bad').catch((e: any) => e);
      assert.equal(err.response.statusCode, 500);
      assert.ok(!JSON.stringify(err.response.body).includes(ADMIN.password));
      const after = await vault.list('sys/leases/lookup/database/creds/').catch(() => ({ data: { keys: [] } }));
      assert.deepEqual(after.data.keys, before.data.keys);
      assert.equal(await t.countUsers(db, 'v-root-bad'), 0);
    });

    it('a static role rotates on schedule: the new password works, the old one fails', async () => {
      const first = await vault.read('database/static-creds/static-app');
      assert.equal(first.data.username, EXISTING.user);
      assert.equal(first.data.rotation_period, 5);
      assert.equal(await login(EXISTING.user, first.data.password), '');
      assert.notEqual(await login(EXISTING.user, EXISTING.password), '');
      let next = first;
      await eventually('a scheduled rotation', async () => {
        next = await vault.read('database/static-creds/static-app');
        return next.data.last_vault_rotation !== first.data.last_vault_rotation;
      });
      assert.notEqual(next.data.password, first.data.password);
      assert.equal(await login(EXISTING.user, next.data.password), '');
      assert.notEqual(await login(EXISTING.user, first.data.password), '');
    });

    it('a failed rotation is a clear error without secrets, counted in coffer_rotation_failures_total', async () => {
      assert.equal(await t.runAs(db, db.user, db.password, t.createUser('doomed', 'Doomed-Pw-1')), '');
      await vault.write('database/static-roles/static-doomed', { db_name: 'main', username: 'doomed', rotation_period: '1h' });
      assert.equal(await t.runAs(db, db.user, db.password, t.dropUser('doomed')), '');
      const err = await vault.write('database/rotate-role/static-doomed', {}).catch((e: any) => e);
      assert.equal(err.response?.statusCode, 500);
      assert.match(err.message, /error setting credentials/);
      assert.ok(!err.message.includes(ADMIN.password));
      const metrics = await srv.request('GET', 'sys/metrics?format=prometheus', { token: srv.rootToken });
      assert.match(String(metrics.body), /coffer_rotation_failures_total\{mount="database\/",role="static-doomed"\} [1-9]/);
    });

    it('rotate-root: afterwards the old root password fails and creds still work', async () => {
      await vault.write('database/rotate-root/main', {});
      assert.notEqual(await login(ADMIN.user, ADMIN.password), '');
      const config = await vault.read('database/config/main');
      assert.equal(config.data.connection_details.password, undefined);
      assert.equal(config.data.connection_details.username, ADMIN.user);
      const r = await vault.read('database/creds/ro');
      assert.equal(await login(r.data.username, r.data.password), '');
    });
  });
}

scenarios(postgresTarget);
scenarios(mariadbTarget);
