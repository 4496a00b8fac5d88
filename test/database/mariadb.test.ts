// The database engine's MySQL plugin against a real MariaDB (Debian's mariadbd), started once for
// this file. Skipped only when mariadbd is missing and COFFER_SKIP_MARIADB is set.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mysql from 'mysql2/promise';
import { freePort } from '../helpers/free-port.js';
import { mariadbSkipReason, startMariaDB } from '../helpers/mariadb.js';
import type { TestDatabase } from '../helpers/postgres.js';
import { dbHarness, errorOf, type DbHarness } from './support.js';

const skip = mariadbSkipReason() || false;
let db: TestDatabase;
let admin: mysql.Connection;
let h: DbHarness;
let url: string;

async function login(user: string, password: string): Promise<mysql.Connection> {
  return mysql.createConnection({ host: '127.0.0.1', port: db.port, user, password, database: 'coffer', connectTimeout: 5000 });
}

async function canLogin(user: string, password: string): Promise<boolean> {
  try {
    await (await login(user, password)).end();
    return true;
  } catch {
    return false;
  }
}

async function userExists(name: string): Promise<boolean> {
  const [rows] = await admin.query<mysql.RowDataPacket[]>('SELECT 1 FROM mysql.user WHERE User = ?', [name]);
  return rows.length > 0;
}

const CREATE = "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'; GRANT SELECT ON coffer.items TO '{{name}}'@'%';";

describe('mariadb', { skip }, () => {
  before(async () => {
    db = await startMariaDB();
    admin = await mysql.createConnection({ host: '127.0.0.1', port: db.port, user: db.user, password: db.password, database: 'coffer', multipleStatements: true });
    await admin.query('CREATE TABLE items (id int); INSERT INTO items VALUES (1), (2); CREATE TABLE rollback_log (name varchar(200))');
    await admin.query("CREATE USER 'coffer_admin'@'%' IDENTIFIED BY 'admin-initial-pw'; GRANT ALL PRIVILEGES ON *.* TO 'coffer_admin'@'%' WITH GRANT OPTION");
    url = `{{username}}:{{password}}@tcp(127.0.0.1:${db.port})/coffer`;
    h = await dbHarness();
    await h.call('create', 'config/main', {
      plugin_name: 'mysql-database-plugin', connection_url: url, username: db.user, password: db.password, allowed_roles: ['ro', 'bad', 'static-*'],
    });
  });

  after(async () => {
    await h?.backend.cleanup?.();
    await admin?.end();
    await db?.stop();
  });

  test('config: verified, read back without the password; failures are 400s without it', async () => {
    const resp = await h.call('read', 'config/main');
    assert.equal((resp!.data!.connection_details as Record<string, unknown>).connection_url, url);
    assert.ok(!JSON.stringify(resp).includes(db.password));
    const wrong = 'Wrong-Secret-Pw-123';
    let err = await errorOf(h.call('create', 'config/bad', { plugin_name: 'mysql-database-plugin', connection_url: url, username: db.user, password: wrong }));
    assert.equal(err.code, 'ERR_INVALID_REQUEST');
    assert.match(err.message, /^error creating database object: Access denied/);
    assert.ok(!err.message.includes(wrong));
    const dead = await freePort();
    err = await errorOf(h.call('create', 'config/bad', { plugin_name: 'mysql-database-plugin', connection_url: `root:${wrong}@tcp(127.0.0.1:${dead})/` }));
    assert.equal(err.code, 'ERR_INVALID_REQUEST');
    assert.ok(!err.message.includes(wrong));
    err = await errorOf(h.call('create', 'config/bad', { plugin_name: 'mysql-database-plugin', connection_url: `garbage ${wrong}` }));
    assert.equal(err.code, 'ERR_INVALID_REQUEST');
    assert.ok(!err.message.includes(wrong));
    // mysql:// URLs and the other plugin names work too.
    await h.call('create', 'config/url', {
      plugin_name: 'mysql-aurora-database-plugin', connection_url: `mysql://{{username}}:{{password}}@127.0.0.1:${db.port}/coffer`, username: db.user, password: db.password,
    });
    await h.call('delete', 'config/url');
  });

  test('creds: SELECT allowed, INSERT refused; revoke drops the user (idempotently)', async () => {
    for (const form of [CREATE, Buffer.from(CREATE).toString('base64'), JSON.stringify(CREATE.split(';').filter((s) => s.trim()))]) {
      await h.call('create', 'roles/ro', { db_name: 'main', creation_statements: form, default_ttl: '10m' });
      assert.equal(((await h.call('read', 'roles/ro'))!.data!.creation_statements as string[]).length, 2);
    }
    const resp = await h.call('read', 'creds/ro');
    const { username, password } = resp!.data as { username: string; password: string };
    assert.match(username, /^v-root-ro-[A-Za-z0-9]{20}$/);
    assert.ok(username.length <= 32);
    assert.equal(resp!.secret!.ttl, 600);
    const c = await login(username, password);
    const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT count(*) AS n FROM items');
    assert.equal(Number(rows[0]!.n), 2);
    await assert.rejects(c.query('INSERT INTO items VALUES (3)'), /denied/);
    await c.end();
    // Renew has no default on MySQL: a no-op that succeeds.
    await h.backend.secrets!.creds!.renew!(h.lease(resp, { expireTime: Date.now() + 3_600_000, ttl: 3600 }));
    await h.backend.secrets!.creds!.revoke(h.lease(resp));
    assert.equal(await canLogin(username, password), false);
    assert.equal(await userExists(username), false);
    await h.backend.secrets!.creds!.revoke(h.lease(resp));
  });

  test('bad creation SQL: error without the password, rollback ran, no user left', async () => {
    await h.call('create', 'roles/bad', {
      db_name: 'main',
      creation_statements: [`CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'`, `GRANT SELECT ON coffer.no_such_table TO '{{name}}'@'%'`, `SELECT '{{password}}' FROM nowhere`],
      rollback_statements: `INSERT INTO coffer.rollback_log VALUES ('{{name}}')`,
    });
    const err = await errorOf(h.call('read', 'creds/bad'));
    assert.equal(err.code, 'ERR_INTERNAL');
    assert.match(err.message, /^error creating database user: .*no_such_table/);
    assert.ok(!err.message.includes(h.issued.at(-1)!));
    const [logged] = await admin.query<mysql.RowDataPacket[]>('SELECT name FROM rollback_log');
    assert.equal(logged.length, 1);
    // CREATE USER commits implicitly in MySQL: the engine still made sure the user is gone.
    assert.equal(await userExists(String(logged[0]!.name)), false);
  });

  test('not-allowed role, walRollback of a half-made user', async () => {
    await h.call('create', 'roles/denied', { db_name: 'main', creation_statements: CREATE });
    const err = await errorOf(h.call('read', 'creds/denied'));
    assert.equal(err.message, '"denied" is not an allowed role');
    await admin.query("CREATE USER 'v-half'@'%' IDENTIFIED BY 'x'; CREATE USER 'v-half'@'localhost' IDENTIFIED BY 'x'");
    await h.backend.walRollback!('creds-user', { db_name: 'main', username: 'v-half', revocation_statements: [] });
    assert.equal(await userExists('v-half'), false);
  });

  test('static role: rotated at once and again when due', async () => {
    await admin.query("CREATE USER 'app_static'@'%' IDENTIFIED BY 'initial-pw'; GRANT SELECT ON coffer.* TO 'app_static'@'%'");
    await h.call('create', 'static-roles/static-app', { db_name: 'main', username: 'app_static', rotation_period: 30 });
    const first = (await h.call('read', 'static-creds/static-app'))!.data as Record<string, string>;
    assert.equal(await canLogin('app_static', 'initial-pw'), false);
    assert.ok(await canLogin('app_static', first.password!));
    h.clock.now += 31_000;
    await h.backend.periodic!.run();
    const second = (await h.call('read', 'static-creds/static-app'))!.data as Record<string, string>;
    assert.notEqual(second.password, first.password);
    assert.equal(await canLogin('app_static', first.password!), false);
    assert.ok(await canLogin('app_static', second.password!));
  });

  test('rotate-root: old root password fails, the engine keeps working', async () => {
    await h.call('create', 'config/rootrot', {
      plugin_name: 'mysql-database-plugin', connection_url: url, username: 'coffer_admin', password: 'admin-initial-pw', allowed_roles: '*',
    });
    await h.call('create', 'roles/rr', { db_name: 'rootrot', creation_statements: CREATE });
    await h.call('update', 'rotate-root/rootrot');
    assert.equal(await canLogin('coffer_admin', 'admin-initial-pw'), false);
    const resp = await h.call('read', 'creds/rr');
    const { username, password } = resp!.data as { username: string; password: string };
    assert.ok(await canLogin(username, password));
    await h.backend.secrets!.creds!.revoke(h.lease(resp));
    assert.equal(await userExists(username), false);
  });

  test('legacy plugin keeps usernames within 16 characters', async () => {
    await h.call('create', 'config/legacy', { plugin_name: 'mysql-legacy-database-plugin', connection_url: url, username: db.user, password: db.password, allowed_roles: '*' });
    await h.call('create', 'roles/legacy-role', { db_name: 'legacy', creation_statements: CREATE });
    const resp = await h.call('read', 'creds/legacy-role');
    const { username, password } = resp!.data as { username: string; password: string };
    assert.ok(username.length <= 16, username);
    assert.ok(await canLogin(username, password));
    await h.backend.secrets!.creds!.revoke(h.lease(resp));
  });
});
