// Starts Debian's MariaDB server (mariadbd) on a free loopback port with a fresh data dir in a temp
// dir, grant tables on, and a root password set. As root the server runs as the `mysql` user.
// When mariadbd is missing the start fails loudly, unless COFFER_SKIP_MARIADB is set, in which
// case `mariadbAvailable()` says so and tests skip with a clear message.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from './free-port.js';
import { serviceUser, type TestDatabase } from './postgres.js';

const SEARCH = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin'];

function findBinary(names: string[]): string | undefined {
  for (const dir of SEARCH) for (const n of names) if (existsSync(join(dir, n))) return join(dir, n);
  return undefined;
}

/** Why MariaDB tests must be skipped ('' = they run). Only COFFER_SKIP_MARIADB allows skipping. */
export function mariadbSkipReason(): string {
  if (findBinary(['mariadbd', 'mysqld'])) return '';
  if (process.env.COFFER_SKIP_MARIADB) return 'mariadbd not installed and COFFER_SKIP_MARIADB is set';
  return '';
}

export async function startMariaDB(): Promise<TestDatabase> {
  const server = findBinary(['mariadbd', 'mysqld']);
  const install = findBinary(['mariadb-install-db', 'mysql_install_db']);
  if (!server || !install) throw new Error('mariadbd / mariadb-install-db not found: install Debian\'s mariadb-server (or set COFFER_SKIP_MARIADB to skip)');
  const owner = serviceUser('mysql');
  const root = mkdtempSync(join(tmpdir(), 'coffer-mariadb-'));
  if (owner) chownSync(root, owner.uid, owner.gid);
  const datadir = join(root, 'data');
  const socket = join(root, 'mysqld.sock');
  const userArgs = owner ? ['--user=mysql'] : [];
  try {
    execFileSync(install, ['--no-defaults', `--datadir=${datadir}`, ...userArgs, '--auth-root-authentication-method=normal',
      '--skip-test-db', '--skip-name-resolve'], { stdio: 'pipe' });
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    const e = err as { stderr?: Buffer; stdout?: Buffer };
    throw new Error(`mariadb-install-db failed: ${String(e.stderr ?? '')}${String(e.stdout ?? '')}`);
  }
  const port = await freePort();
  const proc: ChildProcess = spawn(server, ['--no-defaults', `--datadir=${datadir}`, ...userArgs, `--port=${port}`,
    '--bind-address=127.0.0.1', `--socket=${socket}`, `--pid-file=${join(root, 'mysqld.pid')}`, `--log-error=${join(root, 'error.log')}`,
    '--skip-name-resolve', '--innodb-buffer-pool-size=16M', '--performance-schema=OFF', '--skip-log-bin',
    '--innodb-flush-log-at-trx-commit=0', '--max-connections=100'], { stdio: 'ignore' });
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => proc.on('exit', () => { exited = true; resolve(); }));

  const errorLog = (): string => { try { return readFileSync(join(root, 'error.log'), 'utf8').slice(-4000); } catch { return ''; } };
  const cleanup = async (): Promise<void> => {
    if (!exited) {
      proc.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exitPromise, new Promise((r) => { timer = setTimeout(r, 20_000); })]);
      clearTimeout(timer);
    }
    if (!exited) { proc.kill('SIGKILL'); await exitPromise; }
    rmSync(root, { recursive: true, force: true });
  };

  // Wait until the socket accepts the password-less root from install-db.
  let admin: mysql.Connection | undefined;
  const deadline = Date.now() + 60_000;
  while (!admin) {
    if (exited || Date.now() > deadline) {
      const log = errorLog();
      await cleanup();
      throw new Error(`mariadbd did not start:\n${log}`);
    }
    try {
      admin = await mysql.createConnection({ socketPath: socket, user: 'root', password: '', multipleStatements: true });
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const password = `mdb-${Math.random().toString(36).slice(2)}A1`;
  try {
    // One root account reachable over TCP: root@'%' (with --skip-name-resolve, 'localhost' only
    // matches the socket). The socket root gets the same password.
    const [hosts] = await admin.query<mysql.RowDataPacket[]>("SELECT Host FROM mysql.user WHERE User = 'root' AND Host NOT IN ('localhost', '%')");
    for (const h of hosts) await admin.query('DROP USER ?@?', ['root', h.Host]);
    await admin.query('CREATE USER IF NOT EXISTS \'root\'@\'%\' IDENTIFIED BY ?', [password]);
    await admin.query("GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION");
    await admin.query("ALTER USER 'root'@'localhost' IDENTIFIED BY ?", [password]);
    await admin.query('CREATE DATABASE IF NOT EXISTS coffer');
    await admin.query('FLUSH PRIVILEGES');
  } finally {
    await admin.end();
  }
  let stopped = false;
  return {
    host: '127.0.0.1', port, user: 'root', password, database: 'coffer',
    url: `mysql://root:${encodeURIComponent(password)}@127.0.0.1:${port}/coffer`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await cleanup();
    },
  };
}
