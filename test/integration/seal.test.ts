// sys/seal over HTTP and with the CLI, and sealing while requests are in flight (Vault's state
// lock): the seal answers 204 and is audited like any request; requests already admitted finish
// before the seal tears anything down, requests arriving meanwhile get 503, so no committed write
// answers 5xx, no wrapping token is spent without its caller getting the response, and every
// audited request has its response entry.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cliRunner } from '../cli/run-cli.js';

interface AuditLine {
  type: string;
  error?: string;
  request?: { id?: string; path?: string; operation?: string };
}

function auditLines(file: string): AuditLine[] {
  return readFileSync(file, 'utf8').trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as AuditLine);
}

/** Request ids that have a request entry without an error but no response entry. */
function missingResponses(lines: AuditLine[]): string[] {
  const responded = new Set(lines.filter((l) => l.type === 'response').map((l) => l.request?.id));
  return lines.filter((l) => l.type === 'request' && l.error === undefined && !responded.has(l.request?.id)).map((l) => `${l.request?.operation} ${l.request?.path}`);
}

async function enableFileAudit(srv: TestServer, file: string): Promise<void> {
  const r = await srv.request('PUT', 'sys/audit/file', { token: srv.rootToken, body: { type: 'file', options: { file_path: file } } });
  assert.equal(r.status, 204, JSON.stringify(r.body));
}

async function unseal(srv: TestServer): Promise<void> {
  const r = await srv.request('PUT', 'sys/unseal', { body: { key: srv.unsealKeys[0] } });
  assert.equal(r.body.sealed, false, JSON.stringify(r.body));
}

describe('sys/seal', () => {
  let srv: TestServer;
  let home: string;
  before(async () => {
    srv = await startTestServer({ kv2At: 'secret' });
    home = mkdtempSync(join(tmpdir(), 'coffer-seal-cli-'));
  });
  after(async () => {
    await srv.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('answers 204 with an audit device enabled, and both its entries are in the log', async () => {
    const file = join(srv.dir, 'audit-http.log');
    await enableFileAudit(srv, file);
    const r = await srv.request('PUT', 'sys/seal', { token: srv.rootToken });
    assert.equal(r.status, 204, JSON.stringify(r.body));
    assert.equal((await srv.request('GET', 'sys/seal-status')).body.sealed, true);
    assert.equal((await srv.request('GET', 'secret/data/x', { token: srv.rootToken })).status, 503);
    const lines = auditLines(file);
    assert.equal(lines.filter((l) => l.type === 'request' && l.request?.path === 'sys/seal').length, 1);
    assert.equal(lines.filter((l) => l.type === 'response' && l.request?.path === 'sys/seal').length, 1);
    assert.deepEqual(missingResponses(lines), []);
    await unseal(srv);
    assert.equal((await srv.request('DELETE', 'sys/audit/file', { token: srv.rootToken })).status, 204);
  });

  it('coffer operator seal reports success with an audit device enabled', async () => {
    await enableFileAudit(srv, join(srv.dir, 'audit-cli.log'));
    const coffer = cliRunner(home, { COFFER_ADDR: srv.address });
    const r = await coffer(['operator', 'seal'], { env: { COFFER_TOKEN: srv.rootToken } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Success! Coffer is sealed/);
    assert.equal((await coffer(['status'])).code, 2);
    await unseal(srv);
  });

  it('is refused without sudo, and the server stays unsealed', async () => {
    const t = await srv.request('POST', 'auth/token/create', { token: srv.rootToken, body: { policies: ['default'] } });
    const r = await srv.request('PUT', 'sys/seal', { token: t.body.auth.client_token });
    assert.equal(r.status, 403);
    assert.equal((await srv.request('GET', 'sys/seal-status')).body.sealed, false);
  });
});

describe('sealing with requests in flight', () => {
  let srv: TestServer;
  before(async () => { srv = await startTestServer({ storage: 'sqlite', kv2At: 'secret' }); });
  after(async () => { await srv.stop(); });

  it('answers every request 2xx or 503: admitted writes are kept, unwraps are never lost, every request entry has its response', async () => {
    const file = join(srv.dir, 'audit.log');
    await enableFileAudit(srv, file);
    const wraps: string[] = [];
    for (let i = 0; i < 6; i++) {
      const w = await srv.request('POST', 'sys/wrapping/wrap', { token: srv.rootToken, body: { n: String(i) }, headers: { 'X-Vault-Wrap-TTL': '10m' } });
      assert.equal(w.status, 200, JSON.stringify(w.body));
      wraps.push(w.body.wrap_info.token);
    }

    const writes: Array<{ key: string; value: string; status: number }> = [];
    const failures: string[] = [];
    let started = 0;
    const worker = async (w: number) => {
      for (let i = 0; i < 400; i++) {
        const key = `storm-${w}-${i}`;
        const value = `${w}:${i}`;
        started++;
        try {
          const r = await srv.request('POST', `secret/data/${key}`, { token: srv.rootToken, body: { data: { value } } });
          writes.push({ key, value, status: r.status });
          if (r.status === 503) return;
        } catch (err) {
          failures.push(`${key}: ${(err as Error).message}`);
          return;
        }
      }
    };
    const workers = Array.from({ length: 12 }, (_, w) => worker(w));
    while (started < 60) await new Promise((r) => setTimeout(r, 5));

    const unwraps = wraps.map(async (token, i) => {
      // Spread the unwraps over the moment of sealing.
      await new Promise((r) => setTimeout(r, i * 2));
      const r = await srv.request('PUT', 'sys/wrapping/unwrap', { token });
      return { token, status: r.status, body: r.body };
    });
    const seal = await srv.request('PUT', 'sys/seal', { token: srv.rootToken });
    await Promise.all(workers);
    const unwrapped = await Promise.all(unwraps);

    assert.equal(seal.status, 204, JSON.stringify(seal.body));
    assert.deepEqual(failures, []);
    const statuses = new Set(writes.map((x) => x.status));
    for (const s of statuses) assert.ok(s === 200 || s === 204 || s === 503, `a write answered ${s}`);
    for (const u of unwrapped) assert.ok(u.status === 200 || u.status === 503, `an unwrap answered ${u.status}: ${JSON.stringify(u.body)}`);
    assert.ok(writes.some((x) => x.status === 503), 'no write arrived while sealed');

    await unseal(srv);
    const committed = writes.filter((x) => x.status >= 200 && x.status < 300);
    assert.ok(committed.length >= 60, `only ${committed.length} writes succeeded`);
    for (const c of committed) {
      const r = await srv.request('GET', `secret/data/${c.key}`, { token: srv.rootToken });
      assert.equal(r.status, 200, `${c.key} answered 2xx but is gone after unseal`);
      assert.equal(r.body.data.data.value, c.value);
    }
    // A wrapping token whose unwrap was refused with 503 is still good; one that answered 200 is spent.
    for (const [i, u] of unwrapped.entries()) {
      const again = await srv.request('PUT', 'sys/wrapping/unwrap', { token: u.token });
      if (u.status === 200) {
        assert.deepEqual(u.body.data, { n: String(i) });
        assert.equal(again.status, 400);
      } else {
        assert.equal(again.status, 200, JSON.stringify(again.body));
        assert.deepEqual(again.body.data, { n: String(i) });
      }
    }
    assert.deepEqual(missingResponses(auditLines(file)), []);
  });
});
