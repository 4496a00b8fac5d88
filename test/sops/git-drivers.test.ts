// The git integration in a real temporary repository: `coffer sops diff` as a textconv driver and
// `coffer sops merge %O %A %B %P` as a merge driver, both run by git itself.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BIN, baseEnv, cli, hasProgram, newAgeKey, tempDir } from './helpers.js';

const skip = !hasProgram('git') && 'git not installed';
const tmp = tempDir();
const repo = tmp.dir;
let env: NodeJS.ProcessEnv;

function git(args: string[], allowFail = false): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('git', args, { cwd: repo, env, encoding: 'utf8' });
  if (!allowFail && r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
const coffer = (args: string[]) => cli(args, { env, cwd: repo });

before(async () => {
  if (skip) return;
  const key = await newAgeKey();
  writeFileSync(join(repo, '..', `${repo.split('/').pop()}-key.txt`), `${key.identity}\n`);
  env = baseEnv(repo, {
    SOPS_AGE_KEY_FILE: join(repo, '..', `${repo.split('/').pop()}-key.txt`),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com',
  });
  git(['init', '-q', '-b', 'main']);
  const cmd = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} sops`;
  git(['config', 'diff.sopsdiffer.textconv', `${cmd} diff`]);
  git(['config', 'merge.sops.name', 'coffer sops merge driver']);
  git(['config', 'merge.sops.driver', `${cmd} merge %O %A %B %P`]);
  writeFileSync(join(repo, '.gitattributes'), '*.enc.yaml diff=sopsdiffer merge=sops\n');
  writeFileSync(join(repo, 'secrets.enc.yaml'), 'db:\n    user: admin\n    password: old-password\napi_key: key-one\n');
  assert.equal(coffer(['encrypt', '-i', '--age', key.recipient, 'secrets.enc.yaml']).code, 0);
  git(['add', '.']);
  git(['commit', '-q', '-m', 'init']);
});
after(() => {
  tmp.cleanup();
  spawnSync('rm', ['-f', join(repo, '..', `${repo.split('/').pop()}-key.txt`)]);
});

test('git diff shows decrypted changes through the textconv driver', { skip }, () => {
  assert.equal(coffer(['set', 'secrets.enc.yaml', '["db"]["password"]', '"new-password"']).code, 0);
  const d = git(['diff', 'secrets.enc.yaml']);
  assert.match(d.stdout, /^-\s+password: old-password$/m);
  assert.match(d.stdout, /^\+\s+password: new-password$/m);
  assert.doesNotMatch(d.stdout, /ENC\[/);
  git(['checkout', '--', 'secrets.enc.yaml']);
});

test('merge driver: changes to different keys merge, re-encrypted with a fresh valid MAC', { skip }, () => {
  git(['checkout', '-q', '-b', 'feature']);
  assert.equal(coffer(['set', 'secrets.enc.yaml', '["api_key"]', '"key-two"']).code, 0);
  git(['commit', '-q', '-am', 'feature: rotate api key']);
  git(['checkout', '-q', 'main']);
  assert.equal(coffer(['set', 'secrets.enc.yaml', '["db"]["user"]', '"root"']).code, 0);
  git(['commit', '-q', '-am', 'main: change user']);
  const m = git(['merge', '-q', '--no-edit', 'feature'], true);
  assert.equal(m.code, 0, m.stderr + m.stdout);
  const d = coffer(['decrypt', 'secrets.enc.yaml']);
  assert.equal(d.code, 0, d.stderr);
  assert.equal(d.stdout, 'db:\n    user: root\n    password: old-password\napi_key: key-two\n');
});

test('merge driver: the same key changed on both sides is a conflict; no plaintext is written', { skip }, () => {
  git(['checkout', '-q', '-b', 'other']);
  assert.equal(coffer(['set', 'secrets.enc.yaml', '["db"]["password"]', '"theirs-secret"']).code, 0);
  git(['commit', '-q', '-am', 'other']);
  git(['checkout', '-q', 'main']);
  assert.equal(coffer(['set', 'secrets.enc.yaml', '["db"]["password"]', '"ours-secret"']).code, 0);
  git(['commit', '-q', '-am', 'main']);
  const m = git(['merge', '--no-edit', 'other'], true);
  assert.notEqual(m.code, 0);
  assert.match(m.stderr + m.stdout, /both sides changed this key differently:\n {2}\["db"\]\["password"\]/);
  const text = readFileSync(join(repo, 'secrets.enc.yaml'), 'utf8');
  assert.ok(!text.includes('ours-secret') && !text.includes('theirs-secret') && !text.includes('<<<<<<<'));
  assert.equal(coffer(['decrypt', '--extract', '["db"]["password"]', 'secrets.enc.yaml']).stdout, 'ours-secret');
  git(['merge', '--abort']);
});

test('diff of a file that is not encrypted prints it unchanged', { skip }, () => {
  writeFileSync(join(repo, 'plain.enc.yaml'), 'not: encrypted\n');
  const r = coffer(['diff', 'plain.enc.yaml']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'not: encrypted\n');
});

test('exit codes reach the shell: 51, 128, 203, 200', { skip }, async () => {
  writeFileSync(join(repo, 'x.yaml'), 'a: b\n');
  const recipient = /recipient: (age1\w+)/.exec(readFileSync(join(repo, 'secrets.enc.yaml'), 'utf8'))![1]!;
  assert.equal(coffer(['encrypt', '-i', '--age', recipient, 'x.yaml']).code, 0);
  assert.equal(coffer(['encrypt', '--age', recipient, 'x.yaml']).code, 203);
  assert.equal(cli(['edit', 'x.yaml'], { env: { ...env, EDITOR: 'true' }, cwd: repo }).code, 200);
  assert.equal(cli(['decrypt', 'x.yaml'], { env: { ...env, SOPS_AGE_KEY_FILE: '/nonexistent' }, cwd: repo }).code, 128);
  writeFileSync(join(repo, 'x.yaml'), readFileSync(join(repo, 'x.yaml'), 'utf8').replace(/^a: ENC\[[^\]]+\]/m, 'a: ""'));
  const r = coffer(['decrypt', 'x.yaml']);
  assert.equal(r.code, 51);
  assert.match(r.stderr, /^coffer: error: x\.yaml: MAC mismatch/);
});
