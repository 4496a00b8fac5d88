// A log cut at an earlier checkpoint must not verify as intact (issue 10 item 9), over HTTP and the
// CLI: the server keeps the head it wrote (barrier-encrypted), checks the file's end when it opens
// the device again (unseal, restart), logs and counts a mismatch and records it in the new
// chain-start line; `coffer audit verify -live -device=…` compares the file's end with the server's head.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main as auditCli } from '../../src/cli/audit-main.js';
import { startLoggedServer, type LoggedServer } from '../audit/logged-server.js';

function fileLines(file: string): string[] {
  return readFileSync(file, 'utf8').slice(0, -1).split('\n');
}

/** Cuts `file` right after its `n`-th line. */
function cutAfterLine(file: string, n: number): void {
  truncateSync(file, fileLines(file).slice(0, n).reduce((s, l) => s + Buffer.byteLength(l) + 1, 0));
}

/** The 1-based number of the last `close` checkpoint line. */
function lastCloseLine(file: string): number {
  const ls = fileLines(file);
  for (let i = ls.length - 1; i >= 0; i--) if (/"type":"checkpoint","reason":"close"/.test(ls[i]!)) return i + 1;
  throw new Error('no close checkpoint');
}

async function cli(srv: LoggedServer, argv: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const code = await auditCli(argv, { stdout: (s) => out.push(s), stderr: (s) => out.push(s), env: { COFFER_ADDR: srv.address, COFFER_TOKEN: srv.rootToken } });
  return { code, out: out.join('') };
}

async function truncationsMetric(srv: LoggedServer): Promise<number> {
  const res = await fetch(`${srv.address}/v1/sys/metrics?format=prometheus`, { headers: { 'X-Vault-Token': srv.rootToken } });
  const m = /^coffer_audit_truncations_total\{device="file\/"\} (\d+)$/m.exec(await res.text());
  return m ? Number(m[1]) : 0;
}

async function traffic(srv: LoggedServer, n: number): Promise<void> {
  for (let i = 0; i < n; i++) assert.equal((await srv.request('GET', 'sys/mounts', { token: srv.rootToken })).status, 200);
}

async function seal(srv: LoggedServer): Promise<void> {
  await srv.request('PUT', 'sys/seal', { token: srv.rootToken });
  assert.equal((await srv.request('GET', 'sys/seal-status')).body.sealed, true);
}

async function unseal(srv: LoggedServer): Promise<void> {
  assert.equal((await srv.request('PUT', 'sys/unseal', { body: { key: srv.unsealKeys[0] } })).body.sealed, false);
}

describe('audit log truncation', () => {
  it('a log cut at an earlier close checkpoint is caught at unseal: server log, metric, chain-start line, verify fails', async () => {
    const srv = await startLoggedServer();
    try {
      const file = join(srv.dir, 'audit.log');
      assert.equal((await srv.request('PUT', 'sys/audit/file', { token: srv.rootToken, body: { type: 'file', options: { file_path: file } } })).status, 204);
      await traffic(srv, 3);
      await seal(srv); // close checkpoint
      const cutAt = lastCloseLine(file);
      await unseal(srv);
      await traffic(srv, 3);
      await seal(srv); // another close checkpoint: the head the server keeps
      const head = JSON.parse(fileLines(file).at(-1)!).chain as { seq: number; mac: string };

      cutAfterLine(file, cutAt); // the lines of the second session are gone

      await unseal(srv);
      const logged = srv.lines.filter((l) => /^audit log truncated/.test(l.msg));
      assert.equal(logged.length, 1, 'the server logs the truncation');
      assert.equal(logged[0]!.level, 50);
      assert.deepEqual([logged[0]!['device'], logged[0]!['target'], logged[0]!['when'], logged[0]!['expected_seq'], logged[0]!['expected_hash'], logged[0]!['found_seq']],
        ['file/', file, 'open', head.seq, head.mac, cutAt]);
      assert.equal(await truncationsMetric(srv), 1, 'coffer_audit_truncations_total{device="file/"}');
      const start = JSON.parse(fileLines(file)[cutAt]!);
      assert.deepEqual([start.type, start.truncation.expected_seq, start.truncation.found_seq, start.chain.seq], ['chain-start', head.seq, cutAt, head.seq + 1]);

      const v = await cli(srv, ['verify', '-live', '-device=file', file]);
      assert.equal(v.code, 1, v.out);
      assert.match(v.out, new RegExp(`${file}:${cutAt + 1}: deleted: .*the server recorded when it opened the file again`));
    } finally {
      await srv.stop();
    }
  });

  it('after a restart on SQLite too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-trunc-'));
    const db = join(dir, 'coffer.db');
    const file = join(dir, 'audit.log');
    try {
      const first = await startLoggedServer({ sqlitePath: db, dir });
      assert.equal((await first.request('PUT', 'sys/audit/file', { token: first.rootToken, body: { type: 'file', options: { file_path: file } } })).status, 204);
      await traffic(first, 2);
      await first.stop(); // shutdown: close checkpoint
      const cutAt = lastCloseLine(file);
      const second = await startLoggedServer({ sqlitePath: db, dir, unsealKeys: first.unsealKeys });
      second.rootToken = first.rootToken;
      await traffic(second, 2);
      await second.stop();
      cutAfterLine(file, cutAt);
      const third = await startLoggedServer({ sqlitePath: db, dir, unsealKeys: first.unsealKeys });
      third.rootToken = first.rootToken;
      try {
        assert.equal(third.lines.filter((l) => /^audit log truncated/.test(l.msg)).length, 1);
        assert.equal(await truncationsMetric(third), 1);
      } finally {
        await third.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('verify -live -device fails when the file at the path does not hold the server’s current head', async () => {
    const srv = await startLoggedServer();
    try {
      const file = join(srv.dir, 'audit.log');
      assert.equal((await srv.request('PUT', 'sys/audit/file', { token: srv.rootToken, body: { type: 'file', options: { file_path: file } } })).status, 204);
      await traffic(srv, 2);
      assert.equal((await cli(srv, ['verify', '-live', '-device=file', file])).code, 0, 'intact');
      const keep = fileLines(file).length;
      await traffic(srv, 3);
      // Put a copy cut back to an earlier line in place of the live file (the server keeps writing to the old one).
      const copy = join(srv.dir, 'copy.log');
      copyFileSync(file, copy);
      cutAfterLine(copy, keep);
      renameSync(copy, file);
      const key = (await srv.request('GET', 'sys/audit-chain-key/file', { token: srv.rootToken })).body.data.key as string;
      const keyOnly = await auditCli(['verify', '-live', file], { stdout: () => undefined, stderr: () => undefined, env: { COFFER_AUDIT_KEY: key } });
      assert.equal(keyOnly, 0, 'the chain alone cannot tell');
      const v = await cli(srv, ['verify', '-live', '-device=file', file]);
      assert.equal(v.code, 1, v.out);
      assert.match(v.out, /truncated: the log ends at seq \d+ but the server has written up to seq \d+/);
      const json = await cli(srv, ['verify', '-live', '-device=file', '-format=json', file]);
      assert.equal(JSON.parse(json.out).problem.kind, 'truncated');
    } finally {
      await srv.stop();
    }
  });
});
