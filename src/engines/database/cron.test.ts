import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidRequestError } from '../../core/errors.js';
import { parseCron } from './cron.js';

const at = (s: string): number => Date.parse(s);
const iso = (ms: number | undefined): string => new Date(ms!).toISOString();

test('next matching minute after a time', () => {
  assert.equal(iso(parseCron('*/15 * * * *').next(at('2025-01-01T10:07:30Z'))), '2025-01-01T10:15:00.000Z');
  assert.equal(iso(parseCron('0 2 * * *').next(at('2025-01-01T02:00:00Z'))), '2025-01-02T02:00:00.000Z');
  assert.equal(iso(parseCron('30 4 1 * *').next(at('2025-01-15T00:00:00Z'))), '2025-02-01T04:30:00.000Z');
  assert.equal(iso(parseCron('0 0 * * MON').next(at('2025-01-01T00:00:00Z'))), '2025-01-06T00:00:00.000Z');
  assert.equal(iso(parseCron('0 0 * * 7').next(at('2025-01-01T00:00:00Z'))), '2025-01-05T00:00:00.000Z');
  assert.equal(iso(parseCron('0 0 29 2 *').next(at('2025-01-01T00:00:00Z'))), '2028-02-29T00:00:00.000Z');
  assert.equal(iso(parseCron('@hourly').next(at('2025-01-01T00:00:00Z'))), '2025-01-01T01:00:00.000Z');
  assert.equal(iso(parseCron('0 12 1-7/2,15 jan-mar *').next(at('2025-03-16T00:00:00Z'))), '2026-01-01T12:00:00.000Z');
});

test('day-of-month and day-of-week both restricted: either matches', () => {
  // 2025-01-03 is a Friday; the 10th comes later.
  assert.equal(iso(parseCron('0 0 10 * 5').next(at('2025-01-01T00:00:00Z'))), '2025-01-03T00:00:00.000Z');
});

test('malformed schedules are 400s', () => {
  for (const bad of ['', '* * * *', '* * * * * *', '60 * * * *', '* 24 * * *', '* * 0 * *', '* * * 13 *', '5-1 * * * *', '*/0 * * * *', 'x * * * *', '0 0 30 2 *', 'a'.repeat(300)]) {
    assert.throws(() => parseCron(bad), InvalidRequestError, bad);
  }
});
