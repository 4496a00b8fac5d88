import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { base62Encode, bech32Checksum, checkBase64Key, checkBech32, checkGithubCrc32, checkJwt } from './checksum.js';

describe('checksums', () => {
  it('base62 encodes with left padding', () => {
    assert.equal(base62Encode(0, 6), '000000');
    assert.equal(base62Encode(61, 2), '0z');
    assert.equal(base62Encode(62, 2), '10');
  });
  it('validates GitHub-style CRC32 tokens and rejects a changed character', () => {
    const entropy = 'abcdefghijklmnopqrstuvwxyzABCD';
    const token = `ghp_${entropy}${base62Encode(crc32(entropy), 6)}`;
    assert.equal(checkGithubCrc32(token), true);
    assert.equal(checkGithubCrc32(`npm_${entropy}${base62Encode(crc32(entropy), 6)}`), true);
    assert.equal(checkGithubCrc32(token.replace('abc', 'abd')), false);
    assert.equal(checkGithubCrc32('ghp_short'), false);
  });
  it('validates bech32 and rejects a flipped character', () => {
    const data = Array.from({ length: 52 }, (_, i) => (i * 7) % 32);
    const cs = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
    const key = `age-secret-key-1${data.map((d) => cs[d]).join('')}${bech32Checksum('age-secret-key-', data)}`;
    assert.equal(checkBech32(key.toUpperCase()), true);
    assert.equal(checkBech32(key.slice(0, -1) + (key.endsWith('q') ? 'p' : 'q')), false);
    assert.equal(checkBech32('nothing'), false);
  });
  it('checks JWT structure', () => {
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    assert.equal(checkJwt(`${enc({ alg: 'HS256' })}.${enc({ sub: 'x' })}.c2ln`), true);
    assert.equal(checkJwt(`${enc({ typ: 'JWT' })}.${enc({ sub: 'x' })}.c2ln`), false);
    assert.equal(checkJwt('a.b'), false);
  });
  it('checks base64 keys decode to at least 32 bytes', () => {
    assert.equal(checkBase64Key(Buffer.alloc(64, 7).toString('base64')), true);
    assert.equal(checkBase64Key(Buffer.alloc(16, 7).toString('base64')), false);
    assert.equal(checkBase64Key('not base64!'), false);
  });
});
