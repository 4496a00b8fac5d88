// Git sources end to end: history (a secret added then removed is found with its commit), ranges,
// staged-only (pre-commit), the installed hook, and "not a git repository".
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createRng, githubStyleBody, randomBytes } from './token-gen.js';
import { GIT_ENV, git, runScanCli, SCAN_MAIN, tempDir } from './helpers.js';

const rng = createRng(77);
const leaked = `ghp_${githubStyleBody(rng)}`;
const later = `npm_${githubStyleBody(rng)}`;

interface JsonFinding { ruleId: string; file: string; line: number; commit?: string; author?: string; date?: string; message?: string }

describe('coffer scan --git', () => {
  const tmp = tempDir();
  const repo = tmp.path;
  let addCommit = '';
  let laterCommit = '';
  before(() => {
    git(repo, 'init', '-q');
    writeFileSync(join(repo, 'README.md'), '# demo\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'initial');
    writeFileSync(join(repo, 'config.yml'), `name: demo\nservice:\n  token: ${leaked}\n`);
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'add service config');
    addCommit = git(repo, 'rev-parse', 'HEAD');
    writeFileSync(join(repo, 'config.yml'), 'name: demo\nservice:\n  token: ${SERVICE_TOKEN}\n');
    git(repo, 'commit', '-q', '-am', 'use an env var');
    writeFileSync(join(repo, 'logo.png'), randomBytes(rng, 64));
    git(repo, 'mv', 'config.yml', 'settings.yml');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'rename and add binary');
    writeFileSync(join(repo, 'deploy.sh'), `#!/bin/sh\nexport NPM_TOKEN=${later}\n`);
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'deploy script');
    laterCommit = git(repo, 'rev-parse', 'HEAD');
  });
  after(() => tmp.cleanup());

  it('finds a secret that was added and later removed, with its commit, author and date', () => {
    const r = runScanCli(['--git', repo, '-f', 'json', '-q']);
    assert.equal(r.code, 1, r.stderr);
    const findings = JSON.parse(r.stdout) as JsonFinding[];
    const gh = findings.find((f) => f.ruleId === 'github-pat');
    assert.ok(gh, r.stdout);
    assert.equal(gh.commit, addCommit);
    assert.equal(gh.file, 'config.yml');
    assert.equal(gh.line, 3);
    assert.equal(gh.author, 'Ada Tester');
    assert.equal(gh.message, 'add service config');
    assert.match(gh.date ?? '', /^\d{4}-\d{2}-\d{2}T/);
    assert.equal(findings.filter((f) => f.ruleId === 'github-pat').length, 1, 'the rename must not report it again');
    assert.ok(findings.some((f) => f.ruleId === 'npm-access-token' && f.commit === laterCommit));
  });

  it('a plain directory scan of the same repo does not see the removed secret', () => {
    const r = runScanCli([repo, '-f', 'json', '-q']);
    assert.deepEqual((JSON.parse(r.stdout) as JsonFinding[]).map((f) => f.ruleId), ['npm-access-token']);
  });

  it('limits history with --since and --range', () => {
    const since = runScanCli(['--git', repo, '--since', addCommit, '-f', 'json', '-q']);
    assert.deepEqual((JSON.parse(since.stdout) as JsonFinding[]).map((f) => f.ruleId), ['npm-access-token']);
    const range = runScanCli(['--git', repo, '--range', `${addCommit}~1..${addCommit}`, '-f', 'json', '-q']);
    assert.deepEqual((JSON.parse(range.stdout) as JsonFinding[]).map((f) => f.ruleId), ['github-pat']);
    const bad = runScanCli(['--git', repo, '--range', 'nope..HEAD']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^coffer: error: git rev-list failed/m);
  });

  it('says clearly when the target is not a git repository', () => {
    const plain = tempDir();
    try {
      for (const flag of ['--git', '--staged']) {
        const r = runScanCli([flag, plain.path]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /^coffer: error: .* is not a git repository$/m);
        assert.match(r.stderr, /^hint: /m);
      }
    } finally {
      plain.cleanup();
    }
  });

  it('an empty repository has no history to scan', () => {
    const empty = tempDir();
    try {
      git(empty.path, 'init', '-q');
      const r = runScanCli(['--git', empty.path]);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      empty.cleanup();
    }
  });
});

describe('coffer scan --staged', () => {
  const tmp = tempDir();
  const repo = tmp.path;
  const staged = `ghp_${githubStyleBody(rng)}`;
  const unstaged = `npm_${githubStyleBody(rng)}`;
  before(() => {
    git(repo, 'init', '-q');
    writeFileSync(join(repo, 'a.txt'), 'hello\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'initial');
  });
  after(() => tmp.cleanup());

  it('finds only what is staged, with real line numbers', () => {
    writeFileSync(join(repo, 'a.txt'), `hello\nworld\ntoken = ${staged}\n`);
    git(repo, 'add', 'a.txt');
    writeFileSync(join(repo, 'b.txt'), `token = ${unstaged}\n`); // untracked, not staged
    writeFileSync(join(repo, 'a.txt'), `hello\nworld\ntoken = ${staged}\nmore = ${unstaged}\n`); // unstaged edit
    const r = runScanCli(['--staged', repo, '-f', 'json', '-q']);
    assert.equal(r.code, 1, r.stderr);
    const findings = JSON.parse(r.stdout) as JsonFinding[];
    assert.deepEqual(findings.map((f) => [f.ruleId, f.file, f.line]), [['github-pat', 'a.txt', 3]]);
  });

  it('installs a pre-commit hook that blocks the commit', () => {
    const r = runScanCli(['install-hook', repo, '--command', `${process.execPath} ${join(repo, 'coffer-shim.mjs')}`]);
    assert.equal(r.code, 0, r.stderr);
    const hook = join(repo, '.git/hooks/pre-commit');
    assert.ok(existsSync(hook));
    assert.match(readFileSync(hook, 'utf8'), /coffer-scan pre-commit hook/);
    writeFileSync(join(repo, 'coffer-shim.mjs'), `const m = await import(${JSON.stringify(SCAN_MAIN)});\nprocess.exit(await m.main(process.argv.slice(3)));\n`);
    chmodSync(hook, 0o755);
    const commit = spawnSync('git', ['-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'leak'], { cwd: repo, encoding: 'utf8', env: { ...process.env, ...GIT_ENV, CI: 'true' } });
    assert.notEqual(commit.status, 0, 'the hook must block the commit');
    assert.match(commit.stderr, /github-pat|1 finding/);
    // Refuses to replace a foreign hook without --force.
    writeFileSync(hook, '#!/bin/sh\necho mine\n');
    const again = runScanCli(['install-hook', repo]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /--force/);
    assert.equal(runScanCli(['install-hook', repo, '--force']).code, 0);
    rmSync(join(repo, 'coffer-shim.mjs'));
  });
});
