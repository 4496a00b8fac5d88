import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeQuery, normalisePath } from '../../src/client/client.js';
import { joinMountFlag, kvV2Path } from '../../src/client/kv.js';

describe('KV v2 path building', () => {
  it('inserts the API prefix after the mount', () => {
    assert.equal(kvV2Path('secret/app/db', 'secret/', 'data'), 'secret/data/app/db');
    assert.equal(kvV2Path('/secret/app/db/', 'secret/', 'metadata'), 'secret/metadata/app/db');
    assert.equal(kvV2Path('team/kv/x', 'team/kv/', 'destroy'), 'team/kv/destroy/x');
  });

  it('maps the mount itself to the bare prefix', () => {
    assert.equal(kvV2Path('secret', 'secret/', 'metadata'), 'secret/metadata');
    assert.equal(kvV2Path('secret/', 'secret/', 'metadata'), 'secret/metadata');
  });

  it('drops namespace segments of the mount path that the user path lacks', () => {
    assert.equal(kvV2Path('secret/foo', 'ns1/secret/', 'data'), 'secret/data/foo');
  });

  it('joins -mount with a relative path', () => {
    assert.equal(joinMountFlag('secret/', '/app/db'), 'secret/app/db');
  });
});

describe('request encoding', () => {
  it('normalises API paths', () => {
    assert.equal(normalisePath('/v1/secret/data/a b'), 'secret/data/a%20b');
    assert.equal(normalisePath('sys/mounts/'), 'sys/mounts/');
    assert.equal(normalisePath('auth/userpass/users/bob@example.com'), 'auth/userpass/users/bob@example.com');
  });

  it('encodes queries, repeating list values and skipping undefined', () => {
    assert.equal(encodeQuery({ list: 'true', version: 2, skip: undefined, v: ['1', '2'] }), '?list=true&version=2&v=1&v=2');
    assert.equal(encodeQuery({}), '');
  });
});
