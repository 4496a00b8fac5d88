import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidRequestError } from '../../core/errors.js';
import { formatGoTime, parseUsernameTemplate, validateUsernameTemplate } from './username-template.js';

const data = { DisplayName: 'token-with-a-long-name', RoleName: 'readonly-role' };
const now = new Date(Date.UTC(2025, 0, 31, 12, 0, 5, 123));
const run = (src: string, d = data): string => parseUsernameTemplate(src).execute(d, now);

test('the PostgreSQL default template', () => {
  const out = run('{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (random 20) (unix_time) | truncate 63 }}');
  assert.match(out, /^v-token-wi-readonly-[A-Za-z0-9]{20}-1738324805$/);
});

test('pipelines pass the value as the last argument; parentheses nest', () => {
  assert.equal(run('{{ .RoleName | uppercase }}'), 'READONLY-ROLE');
  assert.equal(run('{{ .RoleName | replace "-" "_" }}'), 'readonly_role');
  assert.equal(run('{{ replace "-" "_" (.RoleName | truncate 5) }}'), 'reado');
  assert.equal(run('x-{{ "ABC" | lowercase }}-y'), 'x-abc-y');
  assert.equal(run('{{ sha256 "abc" }}'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(run('{{ base64 "hi" }}'), 'aGk=');
  assert.equal(run('{{ unix_time_millis }}'), String(now.getTime()));
  assert.equal(run('{{ timestamp "2006-01-02T15:04:05Z07:00" }}'), '2025-01-31T12:00:05Z');
  assert.match(run('{{ uuid }}'), /^[0-9a-f-]{36}$/);
  assert.equal(run('{{ printf "%s-%d-%q" "a" 7 "b" }}'), 'a-7-"b"');
  assert.equal(run('{{`raw`}}'), 'raw');
});

test('truncate_sha256 keeps short strings and hashes the tail of long ones', () => {
  assert.equal(run('{{ "short" | truncate_sha256 10 }}'), 'short');
  const out = run('{{ "a-very-long-display-name" | truncate_sha256 12 }}');
  assert.equal(out.length, 12);
  assert.ok(out.startsWith('a-ve'));
});

test('trim markers and comments', () => {
  assert.equal(run('a  {{- .RoleName -}}  b'), 'areadonly-roleb');
  assert.equal(run('a{{/* note */}}b'), 'ab');
});

test('random is random and alphanumeric', () => {
  const a = run('{{ random 20 }}');
  const b = run('{{ random 20 }}');
  assert.match(a, /^[A-Za-z0-9]{20}$/);
  assert.notEqual(a, b);
});

test('bad templates are 400s at parse or validation time', () => {
  for (const bad of ['{{ .Nope }}', '{{ nofunc }}', '{{ printf "x" ', '{{ truncate }}', '{{ "a" "b" }}', '{{ (random 3 }}', '{{ | lowercase }}',
    '{{ truncate "x" "y" }}', '{{ random 100000 }}', '{{ truncate 0 "x" }}', '{{ "a" | "b" }}', '{{ "\\q" }}']) {
    assert.throws(() => validateUsernameTemplate(bad), InvalidRequestError, bad);
  }
  assert.throws(() => validateUsernameTemplate('x'.repeat(5000)), InvalidRequestError);
});

test('formatGoTime knows the common layout tokens', () => {
  assert.equal(formatGoTime(now, '2006-01-02 15:04:05-0700'), '2025-01-31 12:00:05+0000');
  assert.equal(formatGoTime(now, 'Jan _2 Mon 03:04PM .000'), 'Jan 31 Fri 12:00PM .123');
});
