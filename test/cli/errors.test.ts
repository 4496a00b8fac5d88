import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError, ConnectionError, extractErrors } from '../../src/client/client.js';
import { CliError, describeError, makeRedactor, UsageError } from '../../src/cli/commands/errors.js';

const ctx = { address: 'http://127.0.0.1:8200', hasToken: true, sensitive: [] as string[] };

describe('error reports', () => {
  it('reports API errors with the status, exit code 2 and a hint for 403', () => {
    const r = describeError(new ApiError(403, ['permission denied'], 'PUT', 'secret/data/x', null), ctx);
    assert.equal(r.exitCode, 2);
    assert.equal(r.lines[0], 'coffer: error: permission denied (HTTP 403 on PUT /v1/secret/data/x)');
    assert.match(r.lines[1]!, /^hint: check that your token is valid/);
  });

  it('says to log in when there is no token, and to unseal when sealed', () => {
    const noToken = describeError(new ApiError(403, ['permission denied'], 'GET', 'x', null), { ...ctx, hasToken: false });
    assert.match(noToken.lines[1]!, /coffer login/);
    const sealed = describeError(new ApiError(503, ['Vault is sealed'], 'GET', 'x', null), ctx);
    assert.match(sealed.lines[1]!, /operator unseal/);
  });

  it('gives connection hints with exit code 2', () => {
    const refused = describeError(new ConnectionError('http://127.0.0.1:1', 'ECONNREFUSED', 'connect ECONNREFUSED', null), ctx);
    assert.equal(refused.exitCode, 2);
    assert.match(refused.lines[1]!, /is the server running.*COFFER_ADDR/);
    const tls = describeError(new ConnectionError('https://h', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate', null), ctx);
    assert.match(tls.lines[1]!, /COFFER_CACERT/);
    const plain = describeError(new ConnectionError('https://h', 'ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number', null), ctx);
    assert.match(plain.lines[1]!, /http:\/\//);
  });

  it('uses exit code 1 for usage and local errors', () => {
    assert.equal(describeError(new UsageError('bad'), ctx).exitCode, 1);
    assert.equal(describeError(new CliError('x'), ctx).exitCode, 1);
    const missing = describeError(Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT', path: '/nope' }), ctx);
    assert.deepEqual(missing, { exitCode: 1, lines: ['coffer: error: no such file: /nope'] });
  });

  it('never prints a known token or secret', () => {
    const r = describeError(new ApiError(400, ['bad token hvs.SECRETTOKEN and value hunter22'], 'PUT', 'auth/token/lookup', null),
      { ...ctx, sensitive: ['hvs.SECRETTOKEN', 'hunter22', 'ab'] });
    assert.ok(!r.lines.join('\n').includes('hvs.SECRETTOKEN'));
    assert.ok(!r.lines.join('\n').includes('hunter22'));
    assert.match(r.lines[0]!, /<redacted>/);
    assert.equal(makeRedactor(['ab'])('ab cd'), 'ab cd', 'very short strings are not redacted');
  });

  it('unwraps Go multierror messages from the server', () => {
    assert.deepEqual(extractErrors({ errors: ['2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n'] }, ''), ['permission denied', 'invalid token']);
    assert.deepEqual(extractErrors({ errors: [] }, '{"errors":[]}'), []);
    assert.deepEqual(extractErrors(null, 'Bad Gateway'), ['Bad Gateway']);
  });
});
