import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createKeywordMatcher } from './prefilter.js';

function hits(keywords: string[], text: string): string[] {
  const m = createKeywordMatcher(keywords);
  const out: string[] = [];
  m.scan(text, (state, end) => {
    for (const k of m.keywordsAt(state)) out.push(`${keywords[k]}@${end - keywords[k]!.length}`);
  });
  return out.sort();
}

describe('keyword matcher', () => {
  it('finds every keyword, overlapping ones included, case-insensitively', () => {
    assert.deepEqual(hits(['key', 'api_key', 'pi_k'], 'API_KEY=1'), ['api_key@0', 'key@4', 'pi_k@1']);
    assert.deepEqual(hits(['ghp_', 'gho_'], 'x ghp_ GHO_ gh'), ['gho_@7', 'ghp_@2']);
  });
  it('treats non-ASCII text as other characters and keeps going', () => {
    assert.deepEqual(hits(['token'], 'é токен token ✓ token'), ['token@16', 'token@8']);
  });
  it('test() answers whether any keyword occurs', () => {
    const m = createKeywordMatcher(['akia', 'xoxb-']);
    assert.equal(m.test('nothing to see'), false);
    assert.equal(m.test('id = AKIA…'), true);
  });
  it('rejects non-ASCII keywords', () => {
    assert.throws(() => createKeywordMatcher(['clé']), /ASCII/);
  });
});
