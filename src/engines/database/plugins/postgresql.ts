// PostgreSQL via `pg`: plugin_name postgresql-database-plugin. Identifiers are limited to 63 bytes.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import pg from 'pg';
import { formatExpiration, renderStatement, scrub } from '../statements.js';
import { substituteConnectionUrl, type ConnectionSettings, type DatabaseConnection, type DatabasePlugin } from './plugin.js';

const { Pool, escapeIdentifier, escapeLiteral } = pg;

const DEFAULT_TEMPLATE = '{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 20) (unix_time) | truncate 63 }}';

/** Parses a libpq key=value DSN ("host=h port=5432 user=u password='p w' dbname=d sslmode=disable"). */
export function parseKeyValueDSN(dsn: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s*([A-Za-z_]+)\s*=\s*(?:'((?:\\.|[^'\\])*)'|(\S*))/gy;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(dsn)) !== null) {
    out[m[1]!] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
    last = re.lastIndex;
  }
  if (dsn.slice(last).trim() !== '') throw new Error('invalid connection string: expected key=value pairs or a postgresql:// URL');
  return out;
}

/**
 * A SCRAM-SHA-256 verifier (RFC 5802/7677, PostgreSQL's stored format) for a password, so that with
 * password_authentication=scram-sha-256 the plaintext never appears in SQL (or server logs).
 */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

function poolConfig(s: ConnectionSettings): pg.PoolConfig {
  const url = substituteConnectionUrl(s);
  const base: pg.PoolConfig = {
    max: s.maxOpenConnections,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    maxLifetimeSeconds: s.maxConnectionLifetime > 0 ? s.maxConnectionLifetime : undefined,
    allowExitOnIdle: true,
    application_name: 'coffer',
  };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url.trim())) {
    const hasUserInfo = /^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(url.trim());
    return {
      ...base,
      connectionString: url.trim(),
      ...(hasUserInfo || !s.username ? {} : { user: s.username, password: s.password }),
    };
  }
  const kv = parseKeyValueDSN(url);
  const ssl = kv.sslmode && kv.sslmode !== 'disable' ? { rejectUnauthorized: kv.sslmode === 'verify-full' || kv.sslmode === 'verify-ca' } : undefined;
  return {
    ...base,
    host: kv.host ?? kv.hostaddr,
    port: kv.port ? Number(kv.port) : undefined,
    user: kv.user ?? (s.username || undefined),
    password: kv.password ?? (s.password || undefined),
    database: kv.dbname,
    ssl,
  };
}

export const CONFLICT_RETRIES = 10;

/** Milliseconds before retry `attempt` (0-based) of a transaction that hit a concurrency conflict. */
export function conflictDelayMs(attempt: number): number {
  return Math.min(5 << attempt, 200) * (0.5 + Math.random());
}

/**
 * The default revocation: REASSIGN OWNED keeps what the user created (handed to the root user);
 * DROP OWNED then revokes every privilege the role holds in this database, columns, schemas, default
 * privileges and the database itself included, so DROP ROLE cannot fail on a leftover grant. No
 * catalog lookup is needed first (information_schema's grant views cost ~20 ms of server CPU each).
 */
export function defaultRevocationStatements(username: string): string[] {
  const u = escapeIdentifier(username);
  return [`REASSIGN OWNED BY ${u} TO CURRENT_USER`, `DROP OWNED BY ${u}`, `DROP ROLE IF EXISTS ${u}`];
}

/**
 * Concurrent GRANT/REVOKE on one object's ACL (many leases revoked at once, creds issued in parallel)
 * fails with "tuple concurrently updated"; serialization failures and deadlocks likewise roll back.
 */
export function isConcurrencyConflict(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  if (e.code === '40001' || e.code === '40P01') return true;
  return e.code === 'XX000' && typeof e.message === 'string' && e.message.includes('tuple concurrently updated');
}

function createConnection(s: ConnectionSettings): DatabaseConnection {
  const secrets = [s.password, substituteConnectionUrl(s)];
  const clean = (err: unknown, extra: Array<string | undefined> = []): Error => {
    const msg = err instanceof Error ? err.message || String(err) : String(err);
    const code = (err as { code?: unknown }).code;
    const text = msg === '' && typeof code === 'string' ? code : msg;
    return new Error(scrub(text, [...secrets, ...extra]));
  };
  let pool: pg.Pool;
  try {
    pool = new Pool(poolConfig(s));
  } catch (err) {
    throw clean(err);
  }
  // An idle client dying (server restart) must not crash the process.
  pool.on('error', () => undefined);
  /** What `{{password}}` becomes in SQL: the plaintext, or its SCRAM verifier. */
  const sqlPassword = (pw: string): string => (s.passwordAuthentication === 'scram-sha-256' ? scramVerifier(pw) : pw);

  async function tx(statements: string[], values: Record<string, string>, hidden: Array<string | undefined> = []): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let client: pg.PoolClient;
      try { client = await pool.connect(); } catch (err) { throw clean(err, hidden); }
      try {
        await client.query('BEGIN');
        for (const stmt of statements) await client.query(renderStatement(stmt, values));
        await client.query('COMMIT');
        return;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        if (!isConcurrencyConflict(err) || attempt >= CONFLICT_RETRIES) throw clean(err, hidden);
      } finally {
        client.release();
      }
      // The transaction rolled back as a whole, so running it again is safe.
      await new Promise((r) => setTimeout(r, conflictDelayMs(attempt)));
    }
  }

  async function query<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
    try { return (await pool.query<T>(text, params)).rows; } catch (err) { throw clean(err); }
  }

  async function userExists(username: string): Promise<boolean> {
    return (await query('SELECT 1 FROM pg_roles WHERE rolname = $1', [username])).length > 0;
  }

  return {
    async verify() {
      await query('SELECT 1');
    },
    async newUser(req) {
      const values = { name: req.username, username: req.username, password: sqlPassword(req.password), expiration: formatExpiration(req.expiration) };
      await tx(req.creationStatements, values, [req.password]);
    },
    async exec(statements, values) {
      await tx(statements, values, [values.password]);
    },
    userExists,
    async deleteUser(username, statements) {
      if (!(await userExists(username))) return;
      await tx(statements.length > 0 ? statements : defaultRevocationStatements(username), { name: username, username });
    },
    async renewUser(username, expiration, statements) {
      const exp = formatExpiration(expiration);
      if (statements.length > 0) {
        await tx(statements, { name: username, username, expiration: exp });
        return;
      }
      await tx([`ALTER ROLE ${escapeIdentifier(username)} VALID UNTIL ${escapeLiteral(exp)}`], {});
    },
    async setPassword(username, password, statements) {
      if (statements.length > 0) {
        await tx(statements, { name: username, username, password: sqlPassword(password) }, [password]);
        return;
      }
      if (!(await userExists(username))) throw new Error(`role "${username}" does not exist`);
      await tx([`ALTER ROLE ${escapeIdentifier(username)} WITH PASSWORD ${escapeLiteral(sqlPassword(password))}`], {}, [password]);
    },
    async close() {
      await pool.end().catch(() => undefined);
    },
  };
}

export const postgresqlPlugin: DatabasePlugin = {
  names: ['postgresql-database-plugin'],
  maxUsernameLength: () => 63,
  defaultUsernameTemplate: () => DEFAULT_TEMPLATE,
  open: (settings) => createConnection(settings),
};
