// Shared helpers for scan integration tests: run the compiled CLI in a child process, make temp dirs
// and git repositories with a fixed identity.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRootDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test file');
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = repoRootDir();
export const SCAN_MAIN = join(REPO_ROOT, 'dist/src/cli/scan-main.js');

export const GIT_ENV: NodeJS.ProcessEnv = {
  GIT_AUTHOR_NAME: 'Ada Tester',
  GIT_AUTHOR_EMAIL: 'ada@example.test',
  GIT_COMMITTER_NAME: 'Ada Tester',
  GIT_COMMITTER_EMAIL: 'ada@example.test',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `coffer scan <args>` through the compiled scan-main.js. */
export function runScanCli(args: string[], opts: { cwd?: string; input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const script = `import(${JSON.stringify(SCAN_MAIN)}).then(m=>m.main(process.argv.slice(1))).then(c=>process.exit(c))`;
  const env = { ...process.env, ...GIT_ENV, CI: 'true', ...opts.env };
  const r = spawnSync(process.execPath, ['-e', script, '--', ...args], {
    cwd: opts.cwd, input: opts.input ?? '', encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', ['-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

export function tempDir(prefix = 'coffer-scan-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
