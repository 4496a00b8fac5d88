import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constantTimeEqual } from './constant-time.js';

test('constantTimeEqual compares strings and bytes exactly', () => {
  assert.equal(constantTimeEqual('abc', 'abc'), true);
  assert.equal(constantTimeEqual('abc', 'abd'), false);
  assert.equal(constantTimeEqual('abc', 'abcd'), false);
  assert.equal(constantTimeEqual('', ''), true);
  assert.equal(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])), true);
  assert.equal(constantTimeEqual(new Uint8Array([1, 2]), 'ab'), false);
  assert.equal(constantTimeEqual('é', Buffer.from('é', 'utf8')), true);
});
