import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidRequestError } from '../../core/errors.js';
import { formatExpiration, globMatch, parseStatements, renderStatement, roleAllowed, scrub } from './statements.js';

const sql = 'CREATE ROLE "{{name}}" WITH LOGIN PASSWORD \'{{password}}\'; GRANT SELECT ON t TO "{{name}}";';
const expected = ['CREATE ROLE "{{name}}" WITH LOGIN PASSWORD \'{{password}}\'', 'GRANT SELECT ON t TO "{{name}}"'];

test('every statement form gives the same list', () => {
  assert.deepEqual(parseStatements(sql, 'f'), expected);
  assert.deepEqual(parseStatements(expected, 'f'), expected);
  assert.deepEqual(parseStatements(Buffer.from(sql).toString('base64'), 'f'), expected);
  assert.deepEqual(parseStatements(JSON.stringify(expected), 'f'), expected);
  assert.deepEqual(parseStatements(Buffer.from(JSON.stringify(expected)).toString('base64'), 'f'), expected);
  assert.deepEqual(parseStatements(expected.map((s) => Buffer.from(s).toString('base64')), 'f'), expected);
});

test('array elements stay whole (DO blocks keep their semicolons); null and empty mean none', () => {
  const block = 'DO $$ BEGIN PERFORM 1; END $$';
  assert.deepEqual(parseStatements([block], 'f'), [block]);
  assert.deepEqual(parseStatements(null, 'f'), []);
  assert.deepEqual(parseStatements('', 'f'), []);
  assert.deepEqual(parseStatements(['', '  '], 'f'), []);
});

test('bad statement values are 400s', () => {
  assert.throws(() => parseStatements(42, 'f'), InvalidRequestError);
  assert.throws(() => parseStatements([1, 2], 'f'), InvalidRequestError);
  assert.throws(() => parseStatements({ a: 1 }, 'f'), InvalidRequestError);
  assert.throws(() => parseStatements(['x'.repeat(70_000)], 'f'), InvalidRequestError);
  assert.throws(() => parseStatements(Array(300).fill('SELECT 1'), 'f'), InvalidRequestError);
});

test('substitution, expiration format, globs, scrubbing', () => {
  assert.equal(renderStatement('A "{{name}}" {{ password }} {{other}}', { name: 'u', password: 'p' }), 'A "u" p {{other}}');
  assert.equal(formatExpiration(Date.UTC(2025, 0, 31, 12, 0, 0)), '2025-01-31 12:00:00+0000');
  assert.ok(globMatch('app-*', 'app-web'));
  assert.ok(!globMatch('app-*', 'xapp-web'));
  assert.ok(globMatch('a.b', 'a.b') && !globMatch('a.b', 'axb'));
  assert.ok(roleAllowed(['*'], 'x'));
  assert.ok(!roleAllowed([], 'x'));
  assert.ok(roleAllowed(['ro', 'rw-*'], 'rw-1'));
  assert.equal(scrub('login p@ss:w failed for postgres://u:p%40ss%3Aw@h', ['p@ss:w']), 'login [redacted] failed for postgres://u:[redacted]@h');
});
