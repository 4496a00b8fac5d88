// The database engine as applications and tools use it, against a real PostgreSQL: the tutorial
// application pattern (node-vault + pg pool, renew with an increment, re-read on failure, revoke on
// SIGTERM) as its own process; Debian's python3-hvac's database and lease calls; and a server restart
// in the middle of a lease, which must still revoke the login on time.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../helpers/server.js';
import type { TestDatabase } from '../helpers/postgres.js';
import { eventually, postgresTarget as t } from './database-targets.js';

const ADMIN = { user: 'coffer_admin', password: 'Admin-initial-Pw-2' };
const EXISTING = { user: 'app_static', password: 'Static-initial-Pw-2' };
const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = join(here, '../../..');

/** Runs a child process, collecting its JSON-line events; `next(name)` waits for the next one of that name. */
function runApp(cmd: string, args: string[], env: Record<string, string>) {
  const child: ChildProcess = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Array<Record<string, any>> = [];
  const waiters: Array<() => void> = [];
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += String(d); });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try { events.push(JSON.parse(line)); } catch { events.push({ event: 'text', line }); }
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { for (const w of waiters.splice(0)) w(); resolve(code); }));
  let seen = 0;
  async function next(name: string, ms = 20_000): Promise<Record<string, any>> {
    const deadline = Date.now() + ms;
    for (;;) {
      while (seen < events.length) {
        const e = events[seen++]!;
        if (e.event === 'error') throw new Error(`app error: ${e.message}`);
        if (e.event === name) return e;
      }
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no "${name}" event; events: ${JSON.stringify(events)} stderr: ${stderr}`);
      await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 200); });
    }
  }
  return { child, events, next, exited, stderr: () => stderr };
}

describe('database engine with real clients (PostgreSQL)', () => {
  let db: TestDatabase;
  let srv: TestServer;
  const root = () => ({ token: srv.rootToken });

  before(async () => {
    db = await t.start();
    await t.setup(db, ADMIN, EXISTING);
    srv = await startTestServer();
    const r = await srv.request('POST', 'sys/mounts/database', { ...root(), body: { type: 'database' } });
    assert.equal(r.status, 204);
    const c = await srv.request('POST', 'database/config/main', { ...root(), body: { ...t.config(db, db.user, db.password), allowed_roles: ['app-*'] } });
    assert.equal(c.status, 204, JSON.stringify(c.body));
    const role = await srv.request('POST', 'database/roles/app-readonly', { ...root(), body: { db_name: 'main', creation_statements: t.creation, default_ttl: '1h', max_ttl: '24h' } });
    assert.equal(role.status, 204);
  });
  after(async () => { await srv?.stop(); await db?.stop(); });

  it('the tutorial application pattern: read, pool, renew, re-read when renewal fails, revoke on SIGTERM', async () => {
    await srv.request('PUT', 'sys/policy/app', { ...root(), body: { policy: 'path "database/creds/app-readonly" { capabilities = ["read"] }\npath "sys/leases/renew" { capabilities = ["update"] }\npath "sys/leases/revoke" { capabilities = ["update"] }' } });
    const token = (await srv.request('POST', 'auth/token/create', { ...root(), body: { policies: ['app'] } })).body.auth.client_token as string;
    const app = runApp(process.execPath, [join(here, 'apps/db-app.js')], {
      VAULT_ADDR: srv.address, VAULT_TOKEN: token, PGHOST: db.host, PGPORT: String(db.port), PGDATABASE: db.database, RENEW_MS: '300',
    });
    try {
      const first = await app.next('connected');
      assert.equal(first.rows, 2);
      assert.equal(first.lease_duration, 3600);
      assert.equal((await app.next('renewed')).lease_duration, 3600);
      // Someone revokes the app's lease (an operator, a leak response): renewal fails, the app re-reads.
      const revoked = await srv.request('PUT', 'sys/leases/revoke', { ...root(), body: { lease_id: first.lease_id } });
      assert.equal(revoked.status, 204);
      assert.equal(await t.userExists(db, first.username), false);
      assert.match((await app.next('renew-failed')).message, /lease not found/);
      const second = await app.next('connected');
      assert.notEqual(second.username, first.username);
      assert.equal(second.rows, 2);
      await app.next('renewed');
      app.child.kill('SIGTERM');
      const gone = await app.next('revoked');
      assert.equal(gone.lease_id, second.lease_id);
      assert.equal(await app.exited, 0);
      assert.equal(await t.userExists(db, second.username), false);
      const lookup = await srv.request('PUT', 'sys/leases/lookup', { ...root(), body: { lease_id: second.lease_id } });
      assert.equal(lookup.status, 400);
    } finally {
      if (app.child.exitCode === null) app.child.kill('SIGKILL');
    }
  });

  it('python3-hvac: configure, roles, creds, leases, static roles (null rotation_statements), a least-privilege app token, rotate-root', async () => {
    const script = join(repoRoot, 'test/integration/apps/db_hvac.py');
    const py = runApp('/usr/bin/python3', [script, srv.address, srv.rootToken, db.host, String(db.port), ADMIN.user, ADMIN.password, EXISTING.user], {});
    const code = await py.exited;
    assert.equal(code, 0, py.stderr());
    const out = py.events.find((e) => e.event === undefined || e.connection !== undefined)!;
    assert.equal(out.connection.plugin_name, 'postgresql-database-plugin');
    assert.equal(out.connection.connection_details.username, ADMIN.user);
    assert.equal(out.connection.connection_details.password, undefined);
    assert.deepEqual(out.connection.allowed_roles, ['hv-*']);
    assert.deepEqual(out.connections, ['pg']);
    assert.equal(out.role.default_ttl, 3600);
    assert.equal(out.role.max_ttl, 7200);
    assert.deepEqual(out.roles, ['hv-ro']);
    assert.match(out.creds.lease_id, /^db\/creds\/hv-ro\//);
    assert.equal(out.creds.lease_duration, 3600);
    assert.equal(out.lookup.id, out.creds.lease_id);
    assert.equal(out.lookup.renewable, true);
    assert.equal(out.renew.lease_duration, 5400);
    // Capped at the role's max_ttl (2h from issue), with a warning.
    assert.ok(out.renew_capped.lease_duration <= 7200 && out.renew_capped.lease_duration > 7000, String(out.renew_capped.lease_duration));
    assert.ok(out.renew_capped.warnings?.length >= 1);
    assert.equal(out.listed.length, 1);
    assert.equal(out.static_role.username, EXISTING.user);
    assert.equal(out.static_role.rotation_period, 3600);
    assert.notEqual(out.static_creds_rotated.password, out.static_creds.password);
    assert.equal(await t.runAs(db, EXISTING.user, out.static_creds_rotated.password, 'SELECT 1'), '');
    assert.notEqual(await t.runAs(db, EXISTING.user, out.static_creds.password, 'SELECT 1'), '');
    assert.match(out.lookup_after_revoke, /invalid lease/);
    // The least-privilege application token: creds, renew with increment null, revoke; config refused.
    assert.match(out.app.username, /^v-token-hv-ro-/);
    assert.equal(out.app.lease_duration, 3600);
    assert.ok(out.app.renewed > 3500 && out.app.renewed <= 3600, String(out.app.renewed));
    assert.equal(out.app.config_read, 'forbidden');
    assert.equal(await t.userExists(db, out.app.username), false);
    assert.equal(await t.userExists(db, out.creds.username), false);
    for (const u of out.prefix_users) assert.equal(await t.userExists(db, u), false);
    assert.notEqual(await t.runAs(db, ADMIN.user, ADMIN.password, 'SELECT 1'), '');
  });

  it('a restart in the middle of a lease still revokes it on time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-db-restart-'));
    const sqlitePath = join(dir, 'coffer.db');
    try {
      const first = await startTestServer({ sqlitePath });
      const init = await first.request('PUT', 'sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
      const token = init.body.root_token as string;
      const key = init.body.keys[0] as string;
      await first.request('PUT', 'sys/unseal', { body: { key } });
      await first.request('POST', 'sys/mounts/database', { token, body: { type: 'database' } });
      await first.request('POST', 'database/config/main', { token, body: { ...t.config(db, db.user, db.password), allowed_roles: '*' } });
      await first.request('POST', 'database/roles/brief', { token, body: { db_name: 'main', creation_statements: t.creation, default_ttl: '4s' } });
      await first.request('POST', 'database/roles/long', { token, body: { db_name: 'main', creation_statements: t.creation, default_ttl: '1h' } });
      const brief = (await first.request('GET', 'database/creds/brief', { token })).body;
      const long = (await first.request('GET', 'database/creds/long', { token })).body;
      assert.equal(brief.lease_duration, 4);
      await first.stop();

      const second = await startTestServer({ sqlitePath });
      try {
        assert.equal((await second.request('PUT', 'sys/unseal', { body: { key } })).body.sealed, false);
        const lookup = await second.request('PUT', 'sys/leases/lookup', { token, body: { lease_id: long.lease_id } });
        assert.equal(lookup.status, 200);
        assert.equal(lookup.body.data.id, long.lease_id);
        await eventually('the brief lease to be revoked after the restart', async () => !(await t.userExists(db, brief.data.username)));
        assert.equal(await t.userExists(db, long.data.username), true);
        assert.equal(await t.runAs(db, long.data.username, long.data.password, 'SELECT count(*) FROM items'), '');
        const revoke = await second.request('PUT', 'sys/leases/revoke-prefix/database/creds/long', { token });
        assert.equal(revoke.status, 204);
        assert.equal(await t.userExists(db, long.data.username), false);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
