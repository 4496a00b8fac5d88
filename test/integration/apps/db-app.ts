// The application pattern teams copy from the tutorials, as a standalone process: read dynamic
// database creds with node-vault, open a pg pool with them, renew the lease with an increment on a
// timer, read new creds when renewal fails, and revoke the lease on SIGTERM. Plain client code, no
// Coffer imports. Reports what it does as JSON lines on stdout for the test that runs it.
// Env: VAULT_ADDR, VAULT_TOKEN, PGHOST, PGPORT, PGDATABASE, RENEW_MS.
import { createRequire } from 'node:module';
import pg from 'pg';

const require = createRequire(import.meta.url);
const nodeVault = require('node-vault') as (opts: Record<string, unknown>) => any;

const vault = nodeVault({ apiVersion: 'v1', endpoint: process.env.VAULT_ADDR, token: process.env.VAULT_TOKEN });
const say = (event: string, fields: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);

let leaseId = '';
let pool: pg.Pool | undefined;

async function connect(): Promise<void> {
  const secret = await vault.read('database/creds/app-readonly');
  leaseId = secret.lease_id;
  pool = new pg.Pool({
    host: process.env.PGHOST, port: Number(process.env.PGPORT), database: process.env.PGDATABASE,
    user: secret.data.username, password: secret.data.password, max: 2,
  });
  pool.on('error', () => undefined);
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM items');
  say('connected', { username: secret.data.username, lease_id: leaseId, lease_duration: secret.lease_duration, rows: rows[0].n });
}

async function renewOrReconnect(): Promise<void> {
  try {
    const renewed = await vault.renew({ lease_id: leaseId, increment: 3600 });
    say('renewed', { lease_duration: renewed.lease_duration });
  } catch (err) {
    say('renew-failed', { message: (err as Error).message });
    await pool?.end().catch(() => undefined);
    await connect();
  }
}

async function main(): Promise<void> {
  await connect();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    renewOrReconnect().catch((err) => say('error', { message: (err as Error).message })).finally(() => { busy = false; });
  }, Number(process.env.RENEW_MS ?? 1000));
  process.once('SIGTERM', () => {
    clearInterval(timer);
    void (async () => {
      await pool?.end().catch(() => undefined);
      await vault.revoke({ lease_id: leaseId });
      say('revoked', { lease_id: leaseId });
      process.exit(0);
    })().catch((err) => { say('error', { message: (err as Error).message }); process.exit(1); });
  });
}

main().catch((err) => { say('error', { message: (err as Error).message }); process.exit(1); });
