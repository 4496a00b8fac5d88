// `coffer scan install-hook`: writes a git pre-commit hook that scans the staged changes.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ScanError } from './errors.js';
import { git, repoRoot } from './sources/git.js';

export const HOOK_MARKER = '# coffer-scan pre-commit hook';

export interface InstallHookOptions {
  force?: boolean;
  /** Command that runs coffer (default: `coffer`). */
  command?: string;
}

export function hookScript(command: string): string {
  return [
    '#!/bin/sh',
    `${HOOK_MARKER} (installed by \`coffer scan install-hook\`; skip once with \`git commit --no-verify\`)`,
    `COFFER=\${COFFER_BIN:-${JSON.stringify(command)}}`,
    'if ! command -v "${COFFER%% *}" >/dev/null 2>&1; then',
    '  echo "coffer: error: \'$COFFER\' not found, so staged changes cannot be scanned for secrets" >&2',
    '  echo "hint: install coffer, or set COFFER_BIN to its path" >&2',
    '  exit 1',
    'fi',
    'exec $COFFER scan --staged --no-progress',
    '',
  ].join('\n');
}

/** Installs the hook; returns its path. Refuses to overwrite a hook it did not write unless forced. */
export function installHook(dir: string, opts: InstallHookOptions = {}): string {
  const root = repoRoot(dir);
  let hooksDir = git(root, ['rev-parse', '--git-path', 'hooks']).trim();
  if (!isAbsolute(hooksDir)) hooksDir = join(root, hooksDir);
  mkdirSync(hooksDir, { recursive: true });
  const path = join(hooksDir, 'pre-commit');
  if (existsSync(path) && !opts.force) {
    const current = readFileSync(path, 'utf8');
    if (!current.includes(HOOK_MARKER)) {
      throw new ScanError('ERR_SCAN_IO', `${path} already exists and was not written by coffer`, {
        hints: ['add `coffer scan --staged` to it yourself, or rerun with --force to replace it'],
      });
    }
  }
  writeFileSync(path, hookScript(opts.command ?? 'coffer'));
  chmodSync(path, 0o755);
  return path;
}
