// The rate-limited server-log reporter for audit device failures (issue 10 item 11).
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { AuditDeviceError } from '../../src/audit/broker.js';
import { createDeviceFailureLog, describeDeviceError } from '../../src/audit/failure-log.js';

const enospc = (): NodeJS.ErrnoException => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });

test('one line per device per interval; the next window reports how many were left out, by code', async () => {
  const lines: Array<{ fields: Record<string, unknown>; msg: string }> = [];
  const log = createDeviceFailureLog({ log: (fields, msg) => lines.push({ fields, msg }), intervalMs: 150 });
  log.report('file/', new AuditDeviceError('file/', 'file', '/var/log/a.log', enospc()));
  for (let i = 0; i < 9; i++) log.report('file/', new AuditDeviceError('file/', 'file', '/var/log/a.log', enospc()));
  log.report('file/', new AuditDeviceError('file/', 'file', '/var/log/a.log', Object.assign(new Error('EACCES: permission denied, open'), { code: 'EACCES', syscall: 'open' })));
  log.report('sock/', new AuditDeviceError('sock/', 'socket', '10.0.0.1:9090', Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:9090'), { code: 'ECONNREFUSED' })));
  assert.equal(lines.length, 2, 'one line per device');
  assert.deepEqual(lines[0], {
    msg: 'audit device failed',
    fields: { device: 'file/', type: 'file', target: '/var/log/a.log', code: 'ENOSPC', syscall: 'write', error: 'ENOSPC: no space left on device, write' },
  });
  assert.equal(lines[1]!.fields['code'], 'ECONNREFUSED');
  await sleep(220);
  assert.equal(lines.length, 3, 'the window ended: one summary for file/, none for sock/ (nothing left out)');
  assert.match(lines[2]!.msg, /still failing: 10 more/);
  assert.equal(lines[2]!.fields['suppressed'], 10);
  assert.deepEqual(lines[2]!.fields['suppressed_codes'], { ENOSPC: 9, EACCES: 1 });
  assert.equal(lines[2]!.fields['code'], 'EACCES', 'the last error is shown');
  await sleep(200);
  assert.equal(lines.length, 3, 'quiet device: nothing more');
  log.report('file/', new AuditDeviceError('file/', 'file', '/var/log/a.log', enospc()));
  assert.equal(lines.length, 4, 'after a quiet window the next failure is logged at once');
  log.report('file/', new AuditDeviceError('file/', 'file', '/var/log/a.log', enospc()));
  log.close();
  assert.equal(lines.length, 5, 'close reports what is still left out');
  assert.equal(lines[4]!.fields['suppressed'], 1);
});

test('never logs the message of an error that is not a system-style error (it could quote the entry)', () => {
  const secret = 'S3CRET-in-an-error-message';
  const f = describeDeviceError('file/', new AuditDeviceError('file/', 'file', '/x', new TypeError(`cannot serialise ${secret}`)));
  assert.deepEqual(f, { device: 'file/', type: 'file', target: '/x', error: 'TypeError' });
  assert.deepEqual(describeDeviceError('file/', 'a thrown string'), { device: 'file/', error: 'non-Error value thrown' });
  const coded = new AuditDeviceError('file/', 'file', '/x', enospc());
  assert.equal(coded.message, 'audit device "file/" failed: ENOSPC');
  assert.equal(coded.code, 'ENOSPC');
});
