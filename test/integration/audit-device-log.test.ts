// Audit device failures reach the server log (issue 10 item 11): the device, where it writes and the
// error code (ENOSPC, EISDIR…), at most one line per device per 10 s with the number of failures left
// out — and never anything from the entry being written.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startLoggedServer, type LoggedServer } from '../audit/logged-server.js';

const CANARY = 'DEVICE-LOG-CANARY-5d1e7a';

describe('audit device failures in the server log', () => {
  let srv: LoggedServer;
  before(async () => { srv = await startLoggedServer(); });
  after(async () => { await srv.stop(); });

  it('logs device, destination and error code once per device, counts the rest, never the entry', async () => {
    const root = srv.rootToken;
    const dirTarget = join(srv.dir, 'a-directory');
    mkdirSync(dirTarget);
    // A working device keeps requests going (a degraded device is logged, not fatal).
    assert.equal((await srv.request('PUT', 'sys/audit/ok', { token: root, body: { type: 'file', options: { file_path: join(srv.dir, 'ok.log') } } })).status, 204);
    // /dev/full accepts the open and fails every write with ENOSPC (a full disk); a directory fails the open with EISDIR.
    assert.equal((await srv.request('PUT', 'sys/audit/full', { token: root, body: { type: 'file', options: { file_path: '/dev/full', skip_test: true } } })).status, 204);
    assert.equal((await srv.request('PUT', 'sys/audit/dir', { token: root, body: { type: 'file', options: { file_path: dirTarget, skip_test: true } } })).status, 204);
    assert.equal((await srv.request('POST', 'sys/mounts/secret', { token: root, body: { type: 'kv' } })).status, 204);
    for (let i = 0; i < 5; i++) {
      const r = await srv.request('POST', 'secret/canary', { token: root, body: { password: CANARY } });
      assert.equal(r.status, 204);
    }
    const failures = srv.lines.filter((l) => l.msg === 'audit device failed');
    const full = failures.filter((l) => l['device'] === 'full/');
    const dir = failures.filter((l) => l['device'] === 'dir/');
    assert.equal(full.length, 1, `one line for full/ in 10 s: ${JSON.stringify(failures)}`);
    assert.equal(dir.length, 1, 'one line for dir/ in 10 s');
    assert.equal(full[0]!.level, 50, 'logged at error level');
    assert.deepEqual([full[0]!['type'], full[0]!['target'], full[0]!['code']], ['file', '/dev/full', 'ENOSPC']);
    assert.match(String(full[0]!['error']), /ENOSPC/);
    assert.deepEqual([dir[0]!['target'], dir[0]!['code']], [dirTarget, 'EISDIR']);
    // The metric still counts every failure.
    const metrics = await fetch(`${srv.address}/v1/sys/metrics?format=prometheus`, { headers: { 'X-Vault-Token': root } });
    const text = await metrics.text();
    const m = /coffer_audit_failures_total\{device="full\/"\} (\d+)/.exec(text);
    assert.ok(m && Number(m[1]) >= 6, `metric counts every failure: ${m?.[1]}`);
    // Disable the broken devices; stopping the server logs the suppressed count.
    await srv.request('DELETE', 'sys/audit/full', { token: root });
    await srv.request('DELETE', 'sys/audit/dir', { token: root });
    await srv.request('DELETE', 'sys/audit/ok', { token: root });
    await srv.stop();
    const summaries = srv.lines.filter((l) => l['device'] === 'full/' && /still failing/.test(l.msg));
    assert.equal(summaries.length, 1, 'the failures not logged one by one are reported');
    assert.ok(Number(summaries[0]!['suppressed']) >= 5);
    assert.ok(Number((summaries[0]!['suppressed_codes'] as Record<string, number>)['ENOSPC']) >= 5);
    const everything = JSON.stringify(srv.lines);
    assert.equal(everything.includes(CANARY), false, 'the entry (a secret) never reaches the server log');
    assert.equal(everything.includes(root), false, 'the token never reaches the server log');
    srv = await startLoggedServer(); // for after()
  });
});
