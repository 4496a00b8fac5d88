// MySQL and MariaDB via `mysql2`: plugin_name mysql-database-plugin, mysql-aurora-database-plugin,
// mysql-rds-database-plugin (usernames up to 32 characters) and mysql-legacy-database-plugin (16).
// Connection URLs may be Go DSNs as Vault documents them (`{{username}}:{{password}}@tcp(host:3306)/db`)
// or mysql:// URLs.
import mysql from 'mysql2/promise';
import { formatExpiration, renderStatement, scrub } from '../statements.js';
import { substituteConnectionUrl, type ConnectionSettings, type DatabaseConnection, type DatabasePlugin } from './plugin.js';

const LEGACY = 'mysql-legacy-database-plugin';

const DEFAULT_TEMPLATE = '{{ printf "v-%s-%s-%s" (.DisplayName | truncate 4) (.RoleName | truncate 4) (random 20) | truncate 32 }}';
const LEGACY_TEMPLATE = '{{ printf "v-%s-%s" (.RoleName | truncate 4) (random 9) | truncate 16 }}';

function decode(v: string, escaped: boolean): string {
  if (!escaped) return v;
  try { return decodeURIComponent(v); } catch { return v; }
}

export function mysqlPoolOptions(s: ConnectionSettings): mysql.PoolOptions {
  const url = substituteConnectionUrl(s).trim();
  const base: mysql.PoolOptions = {
    connectionLimit: s.maxOpenConnections,
    maxIdle: s.maxIdleConnections > 0 ? s.maxIdleConnections : s.maxOpenConnections,
    idleTimeout: 60_000,
    connectTimeout: 10_000,
    multipleStatements: false,
    waitForConnections: true,
  };
  if (/^(mysql|mariadb):\/\//i.test(url)) {
    const u = new URL(url.replace(/^mariadb:/i, 'mysql:'));
    return {
      ...base,
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port ? Number(u.port) : 3306,
      user: u.username ? decodeURIComponent(u.username) : s.username,
      password: u.password ? decodeURIComponent(u.password) : s.password,
      database: u.pathname.replace(/^\//, '') || undefined,
    };
  }
  // Go DSN: [user[:password]@][net[(addr)]]/dbname[?params]
  const m = /^(?:(.*)@)?(?:(tcp|unix)\(([^)]*)\))?\/([^?]*)(?:\?(.*))?$/s.exec(url);
  if (!m) throw new Error('invalid connection_url: expected user:password@tcp(host:port)/dbname or mysql://user:password@host:port/dbname');
  const [, userinfo, net, addr, dbname] = m;
  let user = s.username;
  let password = s.password;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    user = decode(colon < 0 ? userinfo : userinfo.slice(0, colon), !s.disableEscaping);
    password = colon < 0 ? '' : decode(userinfo.slice(colon + 1), !s.disableEscaping);
  }
  const opts: mysql.PoolOptions = { ...base, user, password, database: dbname || undefined };
  if (net === 'unix') opts.socketPath = addr;
  else {
    const a = addr || '127.0.0.1:3306';
    const hp = /^\[?([^\]]*?)\]?(?::([0-9]+))?$/.exec(a)!;
    opts.host = hp[1];
    opts.port = hp[2] ? Number(hp[2]) : 3306;
  }
  return opts;
}

/** Splits each statement on `;` (MySQL runs one statement per query). */
function split(statements: string[]): string[] {
  return statements.flatMap((s) => s.split(';')).map((s) => s.trim()).filter((s) => s !== '');
}

function createConnection(s: ConnectionSettings, pluginName: string): DatabaseConnection {
  const secrets = [s.password, substituteConnectionUrl(s)];
  const clean = (err: unknown, extra: Array<string | undefined> = []): Error => {
    const msg = err instanceof Error ? err.message || String(err) : String(err);
    const code = (err as { code?: unknown }).code;
    const text = msg === '' && typeof code === 'string' ? code : msg;
    return new Error(scrub(text, [...secrets, ...extra]));
  };
  let pool: mysql.Pool;
  try {
    pool = mysql.createPool(mysqlPoolOptions(s));
  } catch (err) {
    throw clean(err);
  }

  async function tx(statements: string[], values: Record<string, string>, hidden: Array<string | undefined> = []): Promise<void> {
    let conn: mysql.PoolConnection;
    try { conn = await pool.getConnection(); } catch (err) { throw clean(err, hidden); }
    try {
      await conn.beginTransaction();
      for (const stmt of split(statements)) await conn.query(renderStatement(stmt, values));
      await conn.commit();
    } catch (err) {
      await conn.rollback().catch(() => undefined);
      throw clean(err, hidden);
    } finally {
      conn.release();
    }
  }

  async function hosts(username: string): Promise<string[]> {
    try {
      const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT Host FROM mysql.user WHERE User = ?', [username]);
      return rows.map((r) => String(r.Host));
    } catch (err) {
      throw clean(err);
    }
  }

  async function run(sql: string, params: unknown[], hidden: Array<string | undefined> = []): Promise<void> {
    try { await pool.query(sql, params); } catch (err) { throw clean(err, hidden); }
  }

  return {
    async verify() {
      try { await pool.query('SELECT 1'); } catch (err) { throw clean(err); }
    },
    async newUser(req) {
      const values = { name: req.username, username: req.username, password: req.password, expiration: formatExpiration(req.expiration) };
      await tx(req.creationStatements, values, [req.password]);
    },
    async exec(statements, values) {
      await tx(statements, values, [values.password]);
    },
    async userExists(username) {
      return (await hosts(username)).length > 0;
    },
    async deleteUser(username, statements) {
      const found = await hosts(username);
      if (found.length === 0) return;
      if (statements.length > 0) {
        await tx(statements, { name: username, username });
        return;
      }
      for (const host of found) await run('DROP USER IF EXISTS ?@?', [username, host]);
    },
    async renewUser(username, expiration, statements) {
      // MySQL users carry no expiry: only explicit renew statements do anything.
      if (statements.length > 0) await tx(statements, { name: username, username, expiration: formatExpiration(expiration) });
    },
    async setPassword(username, password, statements) {
      if (statements.length > 0) {
        await tx(statements, { name: username, username, password }, [password]);
        return;
      }
      const found = await hosts(username);
      if (found.length === 0) throw new Error(`user "${username}" does not exist`);
      for (const host of found) {
        if (pluginName === LEGACY) await run('SET PASSWORD FOR ?@? = PASSWORD(?)', [username, host, password], [password]);
        else await run('ALTER USER ?@? IDENTIFIED BY ?', [username, host, password], [password]);
      }
    },
    async close() {
      await pool.end().catch(() => undefined);
    },
  };
}

export const mysqlPlugin: DatabasePlugin = {
  names: ['mysql-database-plugin', 'mysql-aurora-database-plugin', 'mysql-rds-database-plugin', LEGACY],
  maxUsernameLength: (name) => (name === LEGACY ? 16 : 32),
  defaultUsernameTemplate: (name) => (name === LEGACY ? LEGACY_TEMPLATE : DEFAULT_TEMPLATE),
  open: (settings, pluginName) => createConnection(settings, pluginName),
};
