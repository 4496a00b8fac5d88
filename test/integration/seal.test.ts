// sys/seal over HTTP and with the CLI: the seal answers 204 and is audited like any request.
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
