import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Keyring } from './keyring.js';

describe('Keyring', () => {
  it('serialises and parses every term, the active term, install times and counts', () => {
    const start = Keyring.create(new Date('2024-01-02T03:04:05.678Z'));
    start.active.encryptions = 41;
    const ring = start.withNewTerm(new Date('2025-06-07T08:09:10.000Z'));
    const parsed = Keyring.parse(ring.serialize());
    assert.equal(parsed.active.term, 2);
    assert.equal(parsed.term(1)!.installTime.toISOString(), '2024-01-02T03:04:05.678Z');
    assert.equal(parsed.term(1)!.encryptions, 41);
    assert.ok(parsed.term(1)!.key.equals(ring.term(1)!.key));
    assert.ok(parsed.term(2)!.key.equals(ring.term(2)!.key));
    assert.ok(!parsed.term(1)!.key.equals(parsed.term(2)!.key));
  });

  it('rejects malformed bytes', () => {
    const good = Keyring.create().serialize();
    assert.throws(() => Keyring.parse(good.subarray(0, good.length - 1)));
    assert.throws(() => Keyring.parse(new Uint8Array(3)));
    const badActive = Buffer.from(good);
    badActive.writeUInt32BE(9, 1);
    assert.throws(() => Keyring.parse(badActive));
  });

  it('zero wipes the keys and empties the ring', () => {
    const ring = Keyring.create().withNewTerm();
    const keys = [ring.term(1)!.key, ring.term(2)!.key];
    ring.zero();
    for (const key of keys) assert.ok(key.equals(Buffer.alloc(32)));
    assert.equal(ring.term(1), undefined);
  });
});
