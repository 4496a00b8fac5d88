import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { charClassCount, shannonEntropy } from './entropy.js';

describe('shannon entropy', () => {
  it('is 0 for empty and single-symbol strings', () => {
    assert.equal(shannonEntropy(''), 0);
    assert.equal(shannonEntropy('aaaa'), 0);
  });
  it('is log2(n) for n equally frequent symbols', () => {
    assert.equal(shannonEntropy('ab'), 1);
    assert.equal(shannonEntropy('abcd'), 2);
    assert.equal(shannonEntropy('0123456789abcdef'), 4);
  });
  it('ranks random tokens above words', () => {
    assert.ok(shannonEntropy('q8ZkR2vT9mW4xL7pN3bY6cJ1hF5gD0sA') > 4.5);
    assert.ok(shannonEntropy('passwordpassword') < 3);
  });
  it('counts character classes', () => {
    assert.equal(charClassCount('abc'), 1);
    assert.equal(charClassCount('aB3!'), 4);
  });
});
