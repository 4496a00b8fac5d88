// Bench helper process: a Coffer dev server on SQLite (durable writes, WAL, synchronous=FULL),
// optionally with a file audit device. Prints one JSON line {address, token} when ready.
import { startDevServer, createLogger } from '../src/server/start.js';

const auditFile = process.env['BENCH_AUDIT_FILE'];
const s = await startDevServer({ listenAddress: '127.0.0.1:0', rootTokenId: 'bench-root', logger: createLogger('warn') });
const api = async (method: string, path: string, body?: unknown) => {
  const r = await fetch(`${s.address}/v1/${path}`, { method, headers: { 'X-Vault-Token': s.rootToken, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return r.status === 204 ? undefined : r.json();
};
if (auditFile) await api('PUT', 'sys/audit/bench', { type: 'file', options: { file_path: auditFile } });
await api('POST', 'secret/data/bench', { data: { username: 'app', password: 'correct-horse-battery-staple', url: 'postgres://db:5432/app' } });
process.stdout.write(`${JSON.stringify({ address: s.address, token: s.rootToken })}\n`);
process.on('SIGTERM', () => { void s.stop().then(() => process.exit(0)); });
