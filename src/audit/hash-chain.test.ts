import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuditWriteTimeoutError, createChainWriter, deriveChainKey, openLine, sealLine, type LineSink } from './hash-chain.js';
import { verifyAuditFiles } from './verify.js';

test('sealLine/openLine: the MAC covers the prefix and every byte; the chain member is last', () => {
  const key = randomBytes(32);
  const { line, mac } = sealLine(key, 'pfx: ', '{"a":1}', 3, 'ab'.repeat(32));
  assert.equal(line, `pfx: {"a":1,"chain":{"seq":3,"prev":"${'ab'.repeat(32)}","mac":"${mac}"}}`);
  assert.deepEqual(openLine(key, Buffer.from(line)), { ok: true, seq: 3, prev: 'ab'.repeat(32), mac, macValid: true });
  const edited = openLine(key, Buffer.from(line.replace('pfx', 'pfy')));
  assert.equal(edited.ok && edited.macValid, false);
  assert.equal(openLine(key, Buffer.from('{"a":1}')).ok, false);
  assert.throws(() => sealLine(key, '', '{}', 1, ''));
  assert.throws(() => sealLine(key, '', '[1]', 1, ''));
});

test('chain keys differ per device path and per secret', () => {
  const s = randomBytes(32);
  assert.notDeepEqual(deriveChainKey(s, 'a/'), deriveChainKey(s, 'b/'));
  assert.deepEqual(deriveChainKey(s, 'a/'), deriveChainKey(Buffer.from(s), 'a/'));
  assert.notDeepEqual(deriveChainKey(s, 'a/'), deriveChainKey(randomBytes(32), 'a/'));
  assert.throws(() => deriveChainKey(new Uint8Array(16), 'a/'));
});

test('a failed write does not advance the chain: later lines still link to the last written one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-chain-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const written: string[] = [];
  let failNext = false;
  const sink: LineSink = {
    open: async () => undefined,
    write: async (data) => {
      if (failNext) {
        failNext = false;
        throw new Error('disk full');
      }
      written.push(data);
    },
    reopen: async () => undefined,
    close: async () => undefined,
  };
  const key = randomBytes(32);
  const w = createChainWriter({ key, sink, devicePath: 'file/' });
  await w.open();
  await w.append('{"type":"request","n":1}');
  failNext = true;
  await assert.rejects(w.append('{"type":"request","n":2}'), /disk full/);
  await w.append('{"type":"request","n":3}');
  assert.deepEqual(w.head().seq, 3);
  await w.close();
  await assert.rejects(w.append('{"type":"request","n":4}'), /closed/);
  const file = join(dir, 'log');
  writeFileSync(file, written.join(''));
  const r = await verifyAuditFiles([file], key);
  assert.equal(r.problem, undefined);
  assert.equal(r.entries, 2);
});

test('a stuck device: appends time out (and the backlog behind it too); close gives up instead of hanging', async () => {
  let writes = 0;
  const sink: LineSink = {
    open: async () => undefined,
    write: () => {
      writes++;
      return writes === 1 ? Promise.resolve() : new Promise<void>(() => undefined); // the chain-start works, then it hangs
    },
    reopen: async () => undefined,
    close: async () => undefined,
  };
  const w = createChainWriter({ key: randomBytes(32), sink, devicePath: 'file/', appendTimeoutMs: 100 });
  await w.open();
  const results = await Promise.allSettled([w.append('{"n":1}'), w.append('{"n":2}'), w.append('{"n":3}')]);
  for (const r of results) assert.equal(r.status === 'rejected' && r.reason instanceof AuditWriteTimeoutError, true);
  await assert.rejects(w.close(), AuditWriteTimeoutError);
  assert.equal(w.head().seq, 1);
});
