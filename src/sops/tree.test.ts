import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFloatF, formatFloatG, formatFloatJSON, normalizeTimestamp, parseGoBool, parseGoInt, plaintextString, sopsFloat, sopsInt, sopsTime } from './tree.js';

test('floats in plaintext use Go %f shortest form, never an exponent', () => {
  assert.equal(formatFloatF(1e21), '1000000000000000000000');
  assert.equal(formatFloatF(1e-7), '0.0000001');
  assert.equal(formatFloatF(1.0), '1');
  assert.equal(formatFloatF(25.4), '25.4');
  assert.equal(formatFloatF(-0.5), '-0.5');
  assert.equal(formatFloatF(1234568000), '1234568000');
  assert.equal(formatFloatF(NaN), 'NaN');
  assert.equal(formatFloatF(Infinity), '+Inf');
  assert.equal(formatFloatF(-Infinity), '-Inf');
});

test('floats in YAML output use Go %g shortest form', () => {
  assert.equal(formatFloatG(1234568000), '1.234568e+09');
  assert.equal(formatFloatG(1e6), '1e+06');
  assert.equal(formatFloatG(123456), '123456');
  assert.equal(formatFloatG(0.0001), '0.0001');
  assert.equal(formatFloatG(0.00001), '1e-05');
  assert.equal(formatFloatG(25.4), '25.4');
  assert.equal(formatFloatG(1), '1');
});

test('floats in JSON output follow encoding/json', () => {
  assert.equal(formatFloatJSON(1e21), '1e+21');
  assert.equal(formatFloatJSON(1e-7), '1e-7');
  assert.equal(formatFloatJSON(123456789), '123456789');
  assert.equal(formatFloatJSON(0.000001), '0.000001');
});

test('bools, ints and times serialise as sops does', () => {
  assert.equal(plaintextString(true), 'True');
  assert.equal(plaintextString(false), 'False');
  assert.equal(plaintextString(sopsInt(-42)), '-42');
  assert.equal(plaintextString(sopsInt(2n ** 62n)), '4611686018427387904');
  assert.equal(plaintextString(sopsFloat(2.5)), '2.5');
  assert.equal(plaintextString(sopsTime('2024-01-01T00:00:00Z')), '2024-01-01T00:00:00Z');
});

test('timestamps normalise to RFC3339Nano', () => {
  assert.equal(normalizeTimestamp('2024-01-01'), '2024-01-01T00:00:00Z');
  assert.equal(normalizeTimestamp('2006-01-02T15:04:05+07:06'), '2006-01-02T15:04:05+07:06');
  assert.equal(normalizeTimestamp('2006-01-02T15:04:05.500Z'), '2006-01-02T15:04:05.5Z');
  assert.equal(normalizeTimestamp('2025-01-02 03:04:05'), '2025-01-02T03:04:05Z');
  assert.equal(normalizeTimestamp('2024-13-01'), undefined);
  assert.equal(normalizeTimestamp('hello'), undefined);
});

test('Go-compatible int and bool parsing', () => {
  assert.equal(parseGoInt('-9223372036854775808'), -(2n ** 63n));
  assert.equal(parseGoInt('9223372036854775808'), undefined);
  assert.equal(parseGoInt('0x1F', 0), 31n);
  assert.equal(parseGoInt('0755', 0), 493n);
  assert.equal(parseGoInt('12a'), undefined);
  assert.equal(parseGoBool('T'), true);
  assert.equal(parseGoBool('False'), false);
  assert.equal(parseGoBool('yes'), undefined);
});
