// Tamper evidence end to end: a broker writes a real file device, the file is tampered with in each
// way the issue lists, and verifyAuditFiles must name the first bad line.
import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { verifyAuditFiles } from '../../src/audit/verify.js';
import { createAuditBroker } from '../../src/audit/broker.js';
import { fileBroker, logPairs, tempDir, testBroker } from './fixtures.js';

async function writtenLog(t: Parameters<typeof tempDir>[0], pairs = 5, interval = 4) {
  const made = await fileBroker(t, { checkpoint_interval: String(interval) });
  await logPairs(made.broker, pairs);
  await made.broker.close();
  return made;
}

/** Writes a closed log of 14 lines, lets `edit` change its lines, and verifies the result. */
async function tampered(t: Parameters<typeof tempDir>[0], edit: (ls: string[]) => void) {
  const { file, key } = await writtenLog(t);
  const ls = lines(file);
  edit(ls);
  writeLines(file, ls);
  return verifyAuditFiles([file], key);
}

function lines(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  assert.ok(text.endsWith('\n'));
  return text.slice(0, -1).split('\n');
}

function writeLines(file: string, ls: string[]): void {
  writeFileSync(file, `${ls.join('\n')}\n`);
}

test('an untouched log verifies, with entries and checkpoints counted', async (t) => {
  const { file, key } = await writtenLog(t);
  const ls = lines(file);
  // chain-start + 10 entries + 2 interval checkpoints + close checkpoint
  assert.equal(ls.length, 14);
  assert.match(ls[0]!, /"type":"chain-start","reason":"new"/);
  assert.match(ls.at(-1)!, /"type":"checkpoint","reason":"close"/);
  const r = await verifyAuditFiles([file], key);
  assert.equal(r.problem, undefined);
  assert.equal(r.ok, true);
  assert.deepEqual([r.lines, r.entries, r.checkpoints, r.firstSeq, r.lastSeq], [14, 10, 3, 1, 14]);
  assert.deepEqual(r.warnings, []);
});

test('the wrong key fails at line 1', async (t) => {
  const { file } = await writtenLog(t, 1);
  const r = await verifyAuditFiles([file], new Uint8Array(32));
  assert.equal(r.ok, false);
  assert.deepEqual([r.problem?.line, r.problem?.kind], [1, 'modified']);
});

test('a flipped byte is detected at its line', async (t) => {
  const { file, key } = await writtenLog(t);
  const buf = readFileSync(file);
  const ls = lines(file);
  const offset = ls.slice(0, 6).join('\n').length + 1 + 30; // inside line 7
  buf[offset] = buf[offset]! ^ 0x01;
  writeFileSync(file, buf);
  const r = await verifyAuditFiles([file], key);
  assert.deepEqual([r.ok, r.problem?.line, r.problem?.kind], [false, 7, 'modified']);
});

test('an edited value (even one that keeps the JSON valid) is detected', async (t) => {
  const r = await tampered(t, (ls) => {
    ls[4] = ls[4]!.replace('"operation":"update"', '"operation":"read"');
  });
  assert.deepEqual([r.problem?.line, r.problem?.kind], [5, 'modified']);
});

test('a deleted line is detected at the line after the gap', async (t) => {
  const r = await tampered(t, (ls) => {
    ls.splice(5, 1); // delete line 6
  });
  assert.deepEqual([r.problem?.line, r.problem?.kind], [6, 'deleted']);
  assert.match(r.problem!.message, /1 line\(s\) missing before line 6/);
});

test('two swapped lines are detected at the first of them', async (t) => {
  const r = await tampered(t, (ls) => {
    [ls[3], ls[4]] = [ls[4]!, ls[3]!]; // swap lines 4 and 5
  });
  assert.equal(r.ok, false);
  assert.equal(r.problem?.line, 4);
});

test('an inserted forged line is detected at its line', async (t) => {
  const r = await tampered(t, (ls) => {
    // A forger copies a real line and changes it, keeping the chain member syntax.
    ls.splice(8, 0, ls[7]!.replace('"type":"response"', '"type":"request"'));
  });
  assert.deepEqual([r.problem?.line, r.problem?.kind], [9, 'modified']);
});

test('a replayed (duplicated) genuine line is detected', async (t) => {
  const r = await tampered(t, (ls) => {
    ls.splice(8, 0, ls[6]!);
  });
  assert.deepEqual([r.problem?.line, r.problem?.kind], [9, 'reordered']);
});

test('an inserted plain line is detected', async (t) => {
  const r = await tampered(t, (ls) => {
    ls.splice(2, 0, '{"time":"2024-01-01T00:00:00Z","type":"request"}');
  });
  assert.deepEqual([r.problem?.line, r.problem?.kind], [3, 'inserted']);
});

test('truncation: whole lines cut off the end, a line cut in half, lines cut off the start', async (t) => {
  const { file, key } = await writtenLog(t);
  const original = lines(file);

  writeLines(file, original.slice(0, 9));
  let r = await verifyAuditFiles([file], key);
  assert.deepEqual([r.problem?.line, r.problem?.kind], [10, 'truncated']);
  // A running server's log has no closing checkpoint yet: --live accepts that.
  r = await verifyAuditFiles([file], key, { live: true });
  assert.equal(r.ok, true);

  writeFileSync(file, `${original.slice(0, 9).join('\n')}\n${original[9]!.slice(0, 40)}`);
  r = await verifyAuditFiles([file], key, { live: true });
  assert.deepEqual([r.problem?.line, r.problem?.kind], [10, 'truncated']);

  writeLines(file, original.slice(3));
  r = await verifyAuditFiles([file], key);
  assert.deepEqual([r.problem?.line, r.problem?.kind], [1, 'deleted']);

  writeFileSync(file, '');
  r = await verifyAuditFiles([file], key);
  assert.deepEqual([r.problem?.line, r.problem?.kind], [1, 'truncated']);
});

test('a carriage return added before a line end is detected', async (t) => {
  const { file, key } = await writtenLog(t, 2);
  const ls = lines(file);
  ls[1] = `${ls[1]}\r`;
  writeLines(file, ls);
  const r = await verifyAuditFiles([file], key);
  assert.equal(r.problem?.line, 2);
});

test('rotation mid-stream: the chain continues across files and verifies; a missing file is detected', async (t) => {
  const { broker, file, key } = await fileBroker(t);
  await logPairs(broker, 3);
  renameSync(file, `${file}.1`);
  await broker.reopen(); // what SIGHUP does
  await logPairs(broker, 2, 3);
  renameSync(file, `${file}.2`);
  await broker.reopen();
  await logPairs(broker, 2, 5);
  await broker.close();

  const first = lines(`${file}.1`);
  assert.match(first.at(-1)!, /"type":"checkpoint","reason":"rotate"/);
  assert.match(lines(`${file}.2`)[0]!, /"type":"chain-start","reason":"rotate"/);

  const r = await verifyAuditFiles([`${file}.1`, `${file}.2`, file], key);
  assert.equal(r.problem, undefined);
  assert.deepEqual([r.ok, r.files, r.entries], [true, 3, 14]);

  // Verifying only the newer files is fine (the chain is checked from where it is picked up).
  assert.equal((await verifyAuditFiles([`${file}.2`, file], key)).ok, true);

  const skipped = await verifyAuditFiles([`${file}.1`, file], key);
  assert.deepEqual([skipped.problem?.file, skipped.problem?.line, skipped.problem?.kind], [file, 1, 'deleted']);

  const swapped = await verifyAuditFiles([`${file}.2`, `${file}.1`, file], key);
  assert.equal(swapped.ok, false);
  // .1 begins a new chain (seq 1) right after .2: flagged, then the jump into the live file fails.
  assert.deepEqual([swapped.warnings[0]?.file, swapped.warnings[0]?.line], [`${file}.1`, 1]);
  assert.deepEqual([swapped.problem?.file, swapped.problem?.line], [file, 1]);
});

/** A second broker over the same storage and secret: the server after a restart. */
async function restarted(made: ReturnType<typeof testBroker>) {
  const again = createAuditBroker({ storage: made.storage, chainKey: made.chainKey });
  await again.restore();
  return again;
}

test('a restarted server continues the chain in the same file', async (t) => {
  const made = await fileBroker(t);
  await logPairs(made.broker, 2);
  await made.broker.close();
  const again = await restarted(made);
  await logPairs(again, 2, 2);
  await again.close();
  assert.match(lines(made.file)[6]!, /"type":"chain-start","reason":"reopen"/);
  const r = await verifyAuditFiles([made.file], made.key);
  assert.deepEqual([r.ok, r.entries, r.warnings.length], [true, 8, 0]);
});

test('after an unclean shutdown the chain resumes, verifiably, with a warning at the resume line', async (t) => {
  // No periodic head recording: the head the server recorded is the one at open, older than the file's end.
  const made = await fileBroker(t, {}, { headRecordIntervalMs: 3_600_000 });
  await logPairs(made.broker, 2);
  // A crash: the server stops without closing the log, which ends with an entry, not a closing
  // checkpoint. (Cutting a closed log's checkpoint off is a truncation: see truncation.test.ts.)
  const again = await restarted(made);
  await logPairs(again, 1, 2);
  await again.close();
  assert.match(lines(made.file)[5]!, /"type":"chain-start","reason":"recover"/);
  const r = await verifyAuditFiles([made.file], made.key);
  assert.equal(r.problem, undefined);
  assert.equal(r.ok, true);
  assert.equal(r.warnings.length, 1);
  assert.equal(r.warnings[0]!.line, 6);
  assert.match(r.warnings[0]!.message, /did not close/);
});
