// The broker with real devices: table management, canaries, sys/audit-hash, fail-closed behaviour,
// socket devices (including one that hangs).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuditFailureError, createAuditBroker } from '../../src/audit/broker.js';
import { verifyAuditFiles } from '../../src/audit/verify.js';
import { AppError, InvalidRequestError } from '../../src/core/errors.js';
import { CANARY_ACCESSOR, CANARY_SECRET, CANARY_TOKEN, logPairs, tempDir, testBroker, testInput, testRequest } from './fixtures.js';

test('enable, list, duplicate and bad input, disable', async (t) => {
  const dir = tempDir(t);
  const { broker, storage } = testBroker();
  await broker.restore();
  assert.equal(broker.enabled(), false);
  await broker.enable('file', { type: 'file', description: 'main', options: { file_path: join(dir, 'a.log'), log_raw: false } });
  assert.deepEqual(broker.list(), {
    'file/': { type: 'file', description: 'main', options: { file_path: join(dir, 'a.log'), log_raw: 'false' }, local: false, path: 'file/' },
  });
  assert.equal(broker.enabled(), true);
  const bad: Array<[string, Parameters<typeof broker.enable>[1], RegExp]> = [
    ['file', { type: 'file', options: { file_path: join(dir, 'b.log') } }, /path already in use/],
    ['other', { type: 'syslog', options: {} }, /unknown backend type/],
    ['other', { type: 'file', options: { file_path: join(dir, 'a.log') } }, /already writes to/],
    ['other', { type: 'file', options: { file_path: join(dir, 'c.log'), format: 'jsonx' } }, /jsonx/],
    ['other', { type: 'file', options: { file_path: join(dir, 'c.log'), colour: 'blue' } }, /unknown option "colour"/],
    ['other', { type: 'file', options: {} }, /file_path is required/],
    ['other', { type: 'file', options: { file_path: join(dir, 'c.log'), mode: '999' } }, /invalid mode/],
    ['other', { type: 'file', options: { file_path: join(dir, 'c.log'), log_raw: 'maybe' } }, /not a boolean/],
    ['other', { type: 'socket', options: { address: 'nohostport' } }, /expected host:port/],
    ['other', { type: 'socket', options: { address: '127.0.0.1:1', write_timeout: '-1s' } }, /negative|write_timeout/],
    ['other', { type: 'file', options: { file_path: join(dir, 'missing-dir', 'x.log') } }, /sanity check failed; unable to open .* for writing: ENOENT/],
    ['', { type: 'file', options: { file_path: join(dir, 'c.log') } }, /invalid audit device path/],
  ];
  for (const [path, input, re] of bad) {
    await assert.rejects(broker.enable(path, input), (err: unknown) => err instanceof InvalidRequestError && re.test(err.message), `${path} ${JSON.stringify(input)}`);
  }
  assert.deepEqual(Object.keys(broker.list()), ['file/']);
  // The table is persisted (in barrier-backed storage) and a new broker restores it.
  const again = createAuditBroker({ storage, chainKey: new Uint8Array(32).fill(7) });
  await again.restore();
  assert.deepEqual(Object.keys(again.list()), ['file/']);
  await again.close();
  await broker.disable('file/');
  await broker.disable('never-enabled'); // not an error
  assert.deepEqual(broker.list(), {});
  assert.equal(broker.enabled(), false);
  await broker.logRequest(testInput()); // nothing enabled: nothing to do
  await broker.close();
});

test('canary secrets never reach the file, only HMACs; hash() matches the logged HMAC', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'audit.log');
  const { broker } = testBroker({ auditedHeaders: () => ({ 'x-vault-token': true }) });
  await broker.restore();
  await broker.enable('file', { type: 'file', options: { file_path: file } });
  await logPairs(broker, 3);
  await broker.logResponse({ request: testRequest(), response: { authBlock: { client_token: CANARY_TOKEN, accessor: CANARY_ACCESSOR, policies: [], token_policies: [], metadata: null, lease_duration: 0, renewable: false, entity_id: '', token_type: 'service', orphan: false, mfa_requirement: null, num_uses: 0 } } });
  const text = readFileSync(file, 'utf8');
  for (const canary of [CANARY_SECRET, CANARY_TOKEN, CANARY_ACCESSOR]) assert.equal(text.includes(canary), false, canary);
  const secretHash = broker.hash('file', CANARY_SECRET);
  assert.match(secretHash, /^hmac-sha256:[0-9a-f]{64}$/);
  const entry = JSON.parse(text.split('\n')[1]!) as { request: { data: { data: { password: string; port: number; tls: boolean } }; client_token: string; headers: Record<string, string[]> }; auth: { display_name: string; metadata: Record<string, string> } };
  assert.equal(entry.request.data.data.password, secretHash);
  assert.equal(entry.request.data.data.port, 5432);
  assert.equal(entry.request.data.data.tls, true);
  assert.equal(entry.request.client_token, broker.hash('file', CANARY_TOKEN));
  assert.deepEqual(entry.request.headers, { 'x-vault-token': [broker.hash('file', CANARY_TOKEN)] });
  assert.equal(entry.auth.display_name, 'userpass-bob');
  assert.deepEqual(entry.auth.metadata, { username: 'bob' });
  assert.throws(() => broker.hash('nope', 'x'), InvalidRequestError);
  // Two devices have different salts, so their HMACs of one value differ.
  await broker.enable('second', { type: 'file', options: { file_path: join(dir, 'second.log') } });
  assert.notEqual(broker.hash('second', CANARY_SECRET), secretHash);
  await broker.close();
});

test('log_raw writes values as they are (and still chains them)', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'raw.log');
  const { broker } = testBroker();
  await broker.restore();
  await broker.enable('raw', { type: 'file', options: { file_path: file, log_raw: 'true', prefix: 'coffer: ' } });
  await logPairs(broker, 1);
  const key = Buffer.from(broker.chainKeyHex('raw/'), 'hex');
  await broker.close();
  const text = readFileSync(file, 'utf8');
  assert.equal(text.includes(CANARY_SECRET), true);
  assert.equal(text.split('\n').filter(Boolean).every((l) => l.startsWith('coffer: {')), true);
  assert.equal((await verifyAuditFiles([file], key)).ok, true);
});

test('fail closed: a device that cannot write makes logRequest reject without detail; one working device suffices', async (t) => {
  const dir = tempDir(t);
  const failures: string[] = [];
  const { broker } = testBroker({ onDeviceFailure: (path) => failures.push(path) });
  await broker.restore();
  // /dev/full opens but every write fails with ENOSPC (a full disk); skip_test lets it be enabled.
  await broker.enable('full', { type: 'file', options: { file_path: '/dev/full', skip_test: 'true' } });
  await assert.rejects(broker.logRequest(testInput()), (err: unknown) => {
    assert.ok(err instanceof AuditFailureError);
    assert.ok(err instanceof AppError && err.code === 'ERR_INTERNAL');
    assert.equal(err.message, 'failed to log request to any audit device');
    return true;
  });
  await assert.rejects(broker.logResponse(testInput()), /failed to log response to any audit device/);
  assert.ok(failures.includes('full/'));
  // Add a working device: now entries are logged (Vault: at least one device must succeed).
  await broker.enable('file', { type: 'file', options: { file_path: join(dir, 'ok.log') } });
  await broker.logRequest(testInput());
  await broker.close();
  await assert.rejects(broker.logRequest(testInput()), /audit broker is closed/);
});

test('fail closed: a log directory gone at restore makes every request fail until it is back', async (t) => {
  const dir = tempDir(t);
  const logDir = join(dir, 'logs');
  mkdirSync(logDir);
  const { broker, storage, chainKey } = testBroker();
  await broker.restore();
  await broker.enable('file', { type: 'file', options: { file_path: join(logDir, 'audit.log') } });
  await broker.close();
  rmSync(logDir, { recursive: true });
  const again = createAuditBroker({ storage, chainKey });
  await again.restore();
  assert.equal(again.enabled(), true);
  await assert.rejects(again.logRequest(testInput()), AuditFailureError);
  mkdirSync(logDir);
  await again.logRequest(testInput()); // the device reopens on the next write
  await again.close();
});

test('a file that is not a chained log (unwritable as a chain continuation) starts a new chain', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'audit.log');
  writeFileSync(file, 'some older log line\n');
  const { broker } = testBroker();
  await broker.restore();
  await broker.enable('file', { type: 'file', options: { file_path: file } });
  await broker.close();
  const lines = readFileSync(file, 'utf8').split('\n');
  assert.match(lines[1]!, /"type":"chain-start","reason":"new"/);
});

async function listen(server: net.Server, where: number | string): Promise<void> {
  server.listen(where as number);
  await once(server, 'listening');
}

test('socket device (tcp): lines arrive chained; a peer that went away makes logRequest reject', async (t) => {
  const received: Buffer[] = [];
  const conns = new Set<net.Socket>();
  const server = net.createServer((c) => { conns.add(c); c.on('data', (d) => received.push(d)); });
  await listen(server, 0);
  const port = (server.address() as net.AddressInfo).port;
  const dir = tempDir(t);
  const { broker } = testBroker();
  await broker.restore();
  await broker.enable('sock', { type: 'socket', options: { address: `127.0.0.1:${port}`, write_timeout: '2s' } });
  await logPairs(broker, 2);
  const key = Buffer.from(broker.chainKeyHex('sock'), 'hex');
  await broker.close();
  await new Promise<void>((r) => { const check = () => (received.length > 0 && [...conns].every((c) => c.readableEnded) ? r() : setTimeout(check, 5)); check(); });
  const file = join(dir, 'collected.log');
  writeFileSync(file, Buffer.concat(received));
  const r = await verifyAuditFiles([file], key);
  assert.equal(r.problem, undefined);
  assert.equal(r.entries, 4);

  // Now the collector goes away entirely.
  await broker.restore();
  await broker.logRequest(testInput());
  for (const c of conns) c.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  let rejected = false;
  for (let i = 0; i < 100 && !rejected; i++) {
    // The first write after the peer vanished may still land in the kernel buffer; keep going.
    rejected = await broker.logRequest(testInput()).then(() => false, (err: unknown) => err instanceof AuditFailureError);
    if (!rejected) await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(rejected, true);
  await broker.close();
});

test('a socket device that hangs times out instead of freezing; with a working device the request still goes through', async (t) => {
  const dir = tempDir(t);
  const sockPath = join(dir, 'hang.sock');
  const conns: net.Socket[] = [];
  // Accepts connections and never reads: once the kernel buffers fill, writes cannot complete.
  const server = net.createServer({ pauseOnConnect: true }, (c) => conns.push(c));
  await listen(server, sockPath);
  t.after(() => { for (const c of conns) c.destroy(); server.close(); });
  const { broker } = testBroker();
  await broker.restore();
  await broker.enable('hang', { type: 'socket', options: { address: sockPath, socket_type: 'unix', write_timeout: '300ms', log_raw: 'true' } });
  const big = testInput();
  big.request.data = { blob: 'x'.repeat(16 * 1024 * 1024) };
  const started = Date.now();
  await assert.rejects(broker.logRequest(big), AuditFailureError);
  assert.ok(Date.now() - started < 15_000, 'bounded by the write timeout'); // generous bound, not a timing assertion

  await broker.enable('file', { type: 'file', options: { file_path: join(dir, 'ok.log') } });
  await broker.logRequest(big); // resolves on the file device's success, whatever the socket does
  await broker.close();
});

test('concurrent entries are group-committed in order and the chain (with interval checkpoints) verifies', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'audit.log');
  const { broker } = testBroker();
  await broker.restore();
  await broker.enable('file', { type: 'file', options: { file_path: file, checkpoint_interval: '7' } });
  await Promise.all(Array.from({ length: 200 }, (_, i) => broker.logRequest(testInput(i))));
  const key = Buffer.from(broker.chainKeyHex('file'), 'hex');
  await broker.close();
  const r = await verifyAuditFiles([file], key);
  assert.equal(r.problem, undefined);
  assert.deepEqual([r.entries, r.checkpoints], [200, Math.floor(200 / 7) + 1]);
  const paths = readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"type":"request"')).map((l) => /"path":"([^"]+)"/.exec(l)![1]);
  assert.deepEqual(paths, Array.from({ length: 200 }, (_, i) => `secret/data/app${i}`)); // call order kept
});

test('socket device (udp): one datagram per write, chained', async (t) => {
  const dgram = await import('node:dgram');
  const server = dgram.createSocket('udp4');
  const received: Buffer[] = [];
  server.on('message', (m) => received.push(m));
  server.bind(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const dir = tempDir(t);
  const { broker } = testBroker();
  await broker.restore();
  await broker.enable('udp', { type: 'socket', options: { address: `127.0.0.1:${server.address().port}`, socket_type: 'udp' } });
  await logPairs(broker, 2);
  const key = Buffer.from(broker.chainKeyHex('udp'), 'hex');
  await broker.close();
  for (let i = 0; i < 200 && received.length < 6; i++) await new Promise((r) => setTimeout(r, 5));
  const file = join(dir, 'udp.log');
  writeFileSync(file, Buffer.concat(received));
  const r = await verifyAuditFiles([file], key);
  assert.equal(r.problem, undefined); // loopback UDP does not drop 6 small datagrams
  assert.equal(r.entries, 4);
});
