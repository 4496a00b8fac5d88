// A log cut back to an earlier checkpoint must not verify as intact (issue 10 item 9). The broker
// records each file device's chain head in (barrier) storage — at open, checkpoints, rotation, close
// and at most once per interval — and checks when it opens the file again that it ends there; a file
// that was cut or replaced is reported (onTruncation), recorded in the new chain-start line, and the
// chain continues from the recorded head so that verify shows the gap. While a file is open, a file
// that shrinks is reported too (periodic check, SIGHUP).
import assert from 'node:assert/strict';
import { readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { AUDIT_HEAD_PREFIX, createAuditBroker, type AuditBrokerOptions, type AuditTruncation } from '../../src/audit/broker.js';
import { getJSON } from '../../src/storage/json.js';
import { verifyAuditFiles } from '../../src/audit/verify.js';
import { fileBroker, logPairs } from './fixtures.js';

function lines(file: string): string[] {
  return readFileSync(file, 'utf8').slice(0, -1).split('\n');
}

/** The byte length of the first `n` lines (with their newlines). */
function bytesOfLines(file: string, n: number): number {
  return lines(file).slice(0, n).reduce((sum, l) => sum + Buffer.byteLength(l) + 1, 0);
}

type Made = Awaited<ReturnType<typeof fileBroker>>;

function restart(made: Made, extra: Partial<AuditBrokerOptions> = {}) {
  const found: Array<[string, AuditTruncation]> = [];
  const broker = createAuditBroker({ storage: made.storage, chainKey: made.chainKey, onTruncation: (p, t) => found.push([p, t]), ...extra });
  return { broker, found };
}

test('a log cut right after an earlier close checkpoint: the server finds it at the next open, and verify no longer passes', async (t) => {
  const made = await fileBroker(t);
  await logPairs(made.broker, 2);
  await made.broker.close(); // seal: close checkpoint at line 6
  const closedAt = lines(made.file).length;
  const second = restart(made);
  await second.broker.restore(); // unseal: the chain continues
  await logPairs(second.broker, 3, 2);
  await second.broker.close();
  const whole = lines(made.file);
  const head = JSON.parse(whole.at(-1)!).chain as { seq: number; mac: string };
  // The record the server keeps: the closing checkpoint, exactly.
  assert.deepEqual(
    await getJSON(made.storage, `${AUDIT_HEAD_PREFIX}file`).then((r: any) => [r.seq, r.hash, r.closed, r.file]),
    [head.seq, head.mac, true, made.file],
  );

  // The attack: cut everything after the first close checkpoint. On its own the file verifies.
  truncateSync(made.file, bytesOfLines(made.file, closedAt));
  assert.equal((await verifyAuditFiles([made.file], made.key)).ok, true, 'a cut at a close checkpoint is invisible to the chain alone');

  const third = restart(made);
  await third.broker.restore();
  assert.equal(third.found.length, 1, 'the server reports the truncation');
  assert.deepEqual(third.found[0], ['file/', {
    when: 'open', expectedSeq: head.seq, expectedHash: head.mac, foundSeq: closedAt, foundHash: JSON.parse(lines(made.file)[closedAt - 1]!).chain.mac, target: made.file,
  }]);
  await logPairs(third.broker, 1, 9);
  await third.broker.close();
  const after = lines(made.file);
  const start = JSON.parse(after[closedAt]!);
  assert.equal(start.type, 'chain-start');
  assert.deepEqual(start.truncation, { when: 'open', expected_seq: head.seq, expected_hash: head.mac, found_seq: closedAt, found_hash: third.found[0]![1].foundHash });
  assert.equal(start.chain.seq, head.seq + 1, 'the chain continues from the recorded head: the lost lines keep their numbers');
  const r = await verifyAuditFiles([made.file], made.key);
  assert.equal(r.ok, false);
  assert.equal(r.problem?.kind, 'deleted');
  assert.equal(r.problem?.line, closedAt + 1);
  assert.match(r.problem!.message, /the server recorded when it opened the file again that the file did not end where it left it/);

  // Put the lost lines back (from a copy kept elsewhere): the log verifies, with a warning.
  const restored = [...whole, ...after.slice(closedAt)];
  writeFileSync(made.file, `${restored.join('\n')}\n`);
  const again = await verifyAuditFiles([made.file], made.key);
  assert.equal(again.ok, true, JSON.stringify(again.problem));
  assert.ok(again.warnings.some((w) => /put back/.test(w.message)));
});

test('a file replaced by an older copy, and a file with foreign content, are reported; a crash inside the recording window is not', async (t) => {
  const made = await fileBroker(t, {}, { headRecordIntervalMs: 3_600_000 });
  await logPairs(made.broker, 1);
  await made.broker.close();
  const older = readFileSync(made.file);
  const second = restart(made);
  await second.broker.restore();
  await logPairs(second.broker, 1, 1);
  await second.broker.close();
  writeFileSync(made.file, older); // an older copy put in place
  const third = restart(made, { headRecordIntervalMs: 3_600_000 });
  await third.broker.restore();
  assert.equal(third.found.length, 1);
  await logPairs(third.broker, 2, 5);
  // Crash: no close; the head recorded at open (the chain-start) is behind the file's end.
  const fourth = restart(made);
  await fourth.broker.restore();
  assert.equal(fourth.found.length, 0, 'lines written after the last recorded head can be lost to a crash: not reported');
  assert.match(lines(made.file).at(-1)!, /"type":"chain-start","reason":"recover"/);
  await fourth.broker.close();
  writeFileSync(made.file, 'an operator replaced the log with this\n');
  const fifth = restart(made);
  await fifth.broker.restore();
  assert.equal(fifth.found.length, 1);
  assert.deepEqual([fifth.found[0]![1].foundSeq, fifth.found[0]![1].foundHash], [0, '']);
  await fifth.broker.close();
});

test('a missing or emptied file after a clean close is a new file: the chain continues into it (rotation while stopped)', async (t) => {
  const made = await fileBroker(t);
  await logPairs(made.broker, 2);
  await made.broker.close();
  const closing = JSON.parse(lines(made.file).at(-1)!).chain as { seq: number; mac: string };
  renameSync(made.file, `${made.file}.1`);
  const second = restart(made);
  await second.broker.restore();
  await logPairs(second.broker, 1, 2);
  await second.broker.close();
  assert.equal(second.found.length, 0);
  const first = JSON.parse(lines(made.file)[0]!);
  assert.deepEqual([first.type, first.reason, first.chain.seq, first.chain.prev], ['chain-start', 'rotate', closing.seq + 1, closing.mac]);
  const r = await verifyAuditFiles([`${made.file}.1`, made.file], made.key);
  assert.equal(r.ok, true, JSON.stringify(r.problem));
  assert.equal(r.warnings.length, 0);
});

test('a file cut while open is reported by the periodic check and at SIGHUP (recorded in the new file)', async (t) => {
  const made = await fileBroker(t, {}, { headRecordIntervalMs: 3_600_000 });
  const found: AuditTruncation[] = [];
  const live = createAuditBroker({ storage: made.storage, chainKey: made.chainKey, onTruncation: (_p, x) => found.push(x), headRecordIntervalMs: 50 });
  await made.broker.close();
  await live.restore();
  await logPairs(live, 3);
  const size = readFileSync(made.file).length;
  truncateSync(made.file, bytesOfLines(made.file, 3));
  for (let i = 0; i < 40 && found.length === 0; i++) await sleep(25);
  assert.equal(found.length, 1, 'the periodic check saw the file shrink');
  assert.deepEqual([found[0]!.when, found[0]!.expectedSize, found[0]!.actualSize], ['live', size, bytesOfLines(made.file, 3)]);
  await sleep(120);
  assert.equal(found.length, 1, 'reported once');

  // Cut again, then rotate (SIGHUP) before the periodic check runs.
  await logPairs(live, 1, 3);
  const cutTo = bytesOfLines(made.file, 4);
  truncateSync(made.file, cutTo);
  renameSync(made.file, `${made.file}.1`);
  await live.reopen();
  assert.equal(found.length, 2, 'SIGHUP checks the old file before leaving it');
  const start = JSON.parse(lines(made.file)[0]!);
  assert.deepEqual([start.type, start.reason, start.truncation.when, start.truncation.actual_size], ['chain-start', 'rotate', 'live', cutTo]);
  await live.close();
});

test('heads are recorded at most once per interval while lines are written, after the file is synced', async (t) => {
  const made = await fileBroker(t, { checkpoint_interval: '1000' }, { headRecordIntervalMs: 100 });
  const key = `${AUDIT_HEAD_PREFIX}file`;
  const recorded = async () => getJSON<{ seq: number; closed: boolean }>(made.storage, key);
  await sleep(150);
  const atOpen = await recorded();
  assert.deepEqual([atOpen?.seq, atOpen?.closed], [1, false], 'the chain-start line is recorded at open');
  await logPairs(made.broker, 5);
  assert.equal((await recorded())?.seq, 1, 'not on every line');
  await sleep(250);
  assert.equal((await recorded())?.seq, 11, 'within one interval');
  await made.broker.disable('file');
  assert.equal(await recorded(), undefined, 'disabling forgets the head (a new device at this path starts afresh)');
});

test('verify with the server\'s head as anchor: contained passes, a different line at that seq or a log ending before it fails', async (t) => {
  const made = await fileBroker(t);
  await logPairs(made.broker, 2);
  const head = made.broker.chainHead('file')!;
  await logPairs(made.broker, 1, 2);
  assert.equal((await verifyAuditFiles([made.file], made.key, { live: true, anchor: head })).ok, true);
  const wrong = await verifyAuditFiles([made.file], made.key, { live: true, anchor: { seq: head.seq, mac: 'f'.repeat(64) } });
  assert.deepEqual([wrong.problem?.kind, wrong.problem?.line], ['modified', head.seq]);
  const ahead = await verifyAuditFiles([made.file], made.key, { live: true, anchor: { seq: head.seq + 10, mac: head.mac } });
  assert.deepEqual([ahead.problem?.kind, ahead.problem?.line], ['truncated', head.seq + 3]);
  await made.broker.close();
});
