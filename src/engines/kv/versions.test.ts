import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addVersion, createSystemClock, formatTime, goDuration, isDeleted, newMetadata, parseTime, parseVersionList, scheduledDeletion,
} from './versions.js';

test('formatTime prints RFC3339Nano in UTC with trailing zeros trimmed, as Go does', () => {
  const base = BigInt(Date.UTC(2018, 2, 22, 2, 24, 6)) * 1_000_000_000n / 1000n;
  assert.equal(formatTime(base + 945_319_214n), '2018-03-22T02:24:06.945319214Z');
  assert.equal(formatTime(base + 500_000_000n), '2018-03-22T02:24:06.5Z');
  assert.equal(formatTime(base), '2018-03-22T02:24:06Z');
  assert.equal(formatTime(base + 1n), '2018-03-22T02:24:06.000000001Z');
});

test('parseTime inverts formatTime', () => {
  for (const t of ['2018-03-22T02:24:06.945319214Z', '2018-03-22T02:24:06.5Z', '2018-03-22T02:24:06Z', '1970-01-01T00:00:00.000000001Z']) {
    assert.equal(formatTime(parseTime(t)), t);
  }
  assert.throws(() => parseTime('yesterday'));
});

test('the system clock tracks wall time with nanosecond digits', () => {
  const c = createSystemClock();
  const a = c.nowNs();
  assert.ok(Math.abs(Number(a / 1_000_000n) - Date.now()) < 1000);
  assert.ok(c.nowNs() >= a);
  assert.match(formatTime(a), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
});

test('goDuration matches time.Duration.String for whole seconds', () => {
  assert.equal(goDuration(0), '0s');
  assert.equal(goDuration(45), '45s');
  assert.equal(goDuration(90), '1m30s');
  assert.equal(goDuration(3600), '1h0m0s');
  assert.equal(goDuration(12319), '3h25m19s');
  assert.equal(goDuration(-1), '-1s');
});

test('isDeleted: empty is live, future is live, reached is deleted', () => {
  const now = parseTime('2024-01-01T00:00:00Z');
  const vm = (deletion_time: string) => ({ created_time: '', deletion_time, destroyed: false });
  assert.equal(isDeleted(vm(''), now), false);
  assert.equal(isDeleted(vm('2024-01-01T00:00:01Z'), now), false);
  assert.equal(isDeleted(vm('2024-01-01T00:00:00Z'), now), true);
  assert.equal(isDeleted(vm('2023-12-31T23:59:59.999999999Z'), now), true);
});

test('scheduledDeletion uses the smallest non-zero setting and honours the mount switch-off', () => {
  const now = parseTime('2024-01-01T00:00:00Z');
  const meta = newMetadata('k', '');
  const config = { max_versions: 0, cas_required: false, delete_version_after: 0 };
  assert.equal(scheduledDeletion(now, config, meta), '');
  assert.equal(scheduledDeletion(now, { ...config, delete_version_after: 60 }, meta), '2024-01-01T00:01:00Z');
  assert.equal(scheduledDeletion(now, { ...config, delete_version_after: 60 }, { ...meta, delete_version_after: 30 }), '2024-01-01T00:00:30Z');
  assert.equal(scheduledDeletion(now, config, { ...meta, delete_version_after: 30 }), '2024-01-01T00:00:30Z');
  assert.equal(scheduledDeletion(now, { ...config, delete_version_after: -1 }, { ...meta, delete_version_after: 30 }), '');
});

test('addVersion slides the window like Vault', () => {
  const meta = newMetadata('k', '');
  const config = { max_versions: 2, cas_required: false, delete_version_after: 0 };
  const vm = (t: string) => ({ created_time: t, deletion_time: '', destroyed: false });
  assert.deepEqual(addVersion(meta, vm('2024-01-01T00:00:01Z'), config), []);
  assert.equal(meta.created_time, '2024-01-01T00:00:01Z');
  assert.deepEqual(addVersion(meta, vm('2024-01-01T00:00:02Z'), config), []);
  assert.equal(meta.oldest_version, 1);
  assert.deepEqual(addVersion(meta, vm('2024-01-01T00:00:03Z'), config), [1]);
  assert.deepEqual(Object.keys(meta.versions), ['2', '3']);
  assert.equal(meta.oldest_version, 2);
  assert.equal(meta.updated_time, '2024-01-01T00:00:03Z');
  assert.equal(meta.created_time, '2024-01-01T00:00:01Z');
});

test('parseVersionList accepts Vault\'s comma-int-slice forms', () => {
  assert.deepEqual(parseVersionList([1, '2']), [1, 2]);
  assert.deepEqual(parseVersionList('1, 2,3'), [1, 2, 3]);
  assert.deepEqual(parseVersionList(4), [4]);
  assert.deepEqual(parseVersionList(undefined), []);
  assert.deepEqual(parseVersionList(''), []);
  assert.throws(() => parseVersionList([true]), /integers/);
  assert.throws(() => parseVersionList('1;2'), /integers/);
});
