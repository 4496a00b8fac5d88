import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidRequestError } from '../core/errors.js';
import { HASH_ALGORITHMS, hashInput } from './hash.js';
import { MAX_RANDOM_BYTES, randomBytes } from './random.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

test('hash: known vectors for every algorithm, hex and base64', () => {
  assert.deepEqual(hashInput({ input: b64('abc') }), { sum: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' });
  assert.equal(hashInput({ input: '', algorithm: 'sha3-256' }).sum, 'a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a');
  assert.equal(hashInput({ input: b64('abc'), algorithm: 'sha2-224' }).sum, '23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7');
  assert.equal(hashInput({ input: b64('abc'), algorithm: 'sha3-512' }).sum.slice(0, 16), 'b751850b1a57168a');
  assert.equal(hashInput({ input: b64('abc'), format: 'base64' }).sum, 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=');
  const lengths = HASH_ALGORITHMS.map((a) => hashInput({ input: b64('x'), algorithm: a }).sum.length);
  assert.deepEqual(lengths, [56, 64, 96, 128, 56, 64, 96, 128]);
});

test('hash: bad input is a 400', () => {
  for (const [req, re] of [
    [{}, /missing input/],
    [{ input: 42 }, /base64 string/],
    [{ input: 'not base64!' }, /unable to decode input as base64/],
    [{ input: 'YWJj', algorithm: 'md5' }, /unsupported algorithm/],
    [{ input: 'YWJj', format: 'binary' }, /unsupported encoding format/],
  ] as const) {
    assert.throws(() => hashInput(req), (err: unknown) => err instanceof InvalidRequestError && re.test(err.message));
  }
});

test('random: sizes and formats; limits; seal sources need seal entropy', async () => {
  const def = await randomBytes();
  assert.equal(Buffer.from(def.random_bytes, 'base64').length, 32);
  assert.match((await randomBytes({ bytes: '16', format: 'hex' })).random_bytes, /^[0-9a-f]{32}$/);
  assert.equal(Buffer.from((await randomBytes({ bytes: MAX_RANDOM_BYTES })).random_bytes, 'base64').length, MAX_RANDOM_BYTES);
  assert.notEqual((await randomBytes()).random_bytes, def.random_bytes);
  for (const [input, re] of [
    [{ bytes: 0 }, /at least 1/],
    [{ bytes: MAX_RANDOM_BYTES + 1 }, /cannot be more than/],
    [{ bytes: 'ten' }, /must be an integer/],
    [{ bytes: 1.5 }, /must be an integer/],
    [{ format: 'base32' }, /unsupported encoding format/],
    [{ source: 'moon' }, /unsupported entropy source/],
    [{ source: 'seal' }, /not available/],
  ] as const) {
    await assert.rejects(randomBytes(input), (err: unknown) => err instanceof InvalidRequestError && re.test(err.message), JSON.stringify(input));
  }
  const sealEntropy = async (n: number) => new Uint8Array(n).fill(0xff);
  assert.equal((await randomBytes({ bytes: 4, format: 'hex', source: 'seal' }, { sealEntropy })).random_bytes, 'ffffffff');
  assert.match((await randomBytes({ bytes: 4, format: 'hex', source: 'all' }, { sealEntropy })).random_bytes, /^[0-9a-f]{8}$/);
});
