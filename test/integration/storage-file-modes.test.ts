// Files on disk (issue 10 item 14): the SQLite database and its -wal/-shm files are created 0600 and
// a directory Coffer creates is 0700, whatever the umask; files that already exist with wider modes
// are left alone (as Vault leaves its storage alone) but the server warns about them at start.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startServer } from '../../src/server/start.js';

/** A pino logger whose lines land in `lines` (parsed). */
function capturingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info', base: undefined }, { write: (s: string) => { lines.push(JSON.parse(s) as Record<string, unknown>); } });
  return { logger, lines };
}

const mode = (p: string): number => statSync(p).mode & 0o777;
const octal = (m: number): string => `0${m.toString(8)}`;

async function start(dbPath: string, logger: pino.Logger) {
  return startServer({ storage: { type: 'sqlite', path: dbPath }, listeners: [{ address: '127.0.0.1:0', tlsDisable: true }], ui: false, logLevel: 'info' }, logger);
}

describe('storage file modes', () => {
  it('a fresh database, its -wal and -shm are 0600 and the directories Coffer creates are 0700 (even with umask 000)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'coffer-modes-'));
    const old = process.umask(0o000); // the most permissive umask: modes must not depend on it
    try {
      const dbPath = join(root, 'var', 'lib', 'coffer', 'coffer.db');
      const { logger, lines } = capturingLogger();
      const srv = await start(dbPath, logger);
      try {
        // Initialising writes through the barrier, so the WAL is in use.
        const res = await fetch(`${srv.address}/v1/sys/init`, { method: 'PUT', body: JSON.stringify({ secret_shares: 1, secret_threshold: 1 }) });
        assert.equal(res.status, 200);
        for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) {
          assert.ok(existsSync(f), `${f} exists`);
          assert.equal(octal(mode(f)), '0600', `${f} mode`);
        }
        for (const d of [join(root, 'var'), join(root, 'var', 'lib'), join(root, 'var', 'lib', 'coffer')]) {
          assert.equal(octal(mode(d)), '0700', `${d} mode`);
        }
        assert.deepEqual(lines.filter((l) => l['level'] === 40), [], 'no warning for files Coffer created');
      } finally {
        await srv.stop();
      }
    } finally {
      process.umask(old);
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('an existing database readable by others is not chmod-ed, but the server warns at start', async () => {
    const root = mkdtempSync(join(tmpdir(), 'coffer-modes-'));
    try {
      const dir = join(root, 'data');
      mkdirSync(dir, { mode: 0o777 });
      chmodSync(dir, 0o777); // writable by every user (no sticky bit)
      const dbPath = join(dir, 'coffer.db');
      writeFileSync(dbPath, '');
      chmodSync(dbPath, 0o644);
      const { logger, lines } = capturingLogger();
      const srv = await start(dbPath, logger);
      try {
        assert.equal(octal(mode(dbPath)), '0644', 'the operator’s file is left as it is');
        const warnings = lines.filter((l) => l['level'] === 40 && typeof l['msg'] === 'string' && /storage/.test(l['msg'] as string));
        const dbWarning = warnings.find((w) => w['path'] === dbPath);
        assert.ok(dbWarning, `a warning names the database file: ${JSON.stringify(lines)}`);
        assert.equal(dbWarning['mode'], '0644');
        assert.match(dbWarning['msg'] as string, /other users/);
        // SQLite gives -wal/-shm the database file's mode, so they are reported too.
        assert.ok(warnings.some((w) => w['path'] === `${dbPath}-wal`), 'the -wal file is reported');
        const dirWarning = warnings.find((w) => w['path'] === dir);
        assert.ok(dirWarning, 'a warning names the world-writable directory');
        assert.equal(dirWarning['mode'], '0777');
      } finally {
        await srv.stop();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
