// Runs the built `coffer` binary (node bin/coffer.js) as a user would, asynchronously so that an
// in-process test server keeps serving. Each call gets a clean environment: no VAULT_*/COFFER_*
// variables leak in from the developer's shell, HOME is the caller's temporary directory.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'bin', 'coffer.js'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find bin/coffer.js above the test file');
    dir = up;
  }
  return dir;
}

export const ROOT = findRoot();
export const BIN = join(ROOT, 'bin', 'coffer.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string>;
  stdin?: string;
}

/** A runner bound to a HOME directory and base environment (address, token). */
export function cliRunner(home: string, baseEnv: Record<string, string>) {
  return (args: string[], opts: CliOptions = {}): Promise<CliResult> => runCli(args, { ...opts, env: { HOME: home, ...baseEnv, ...opts.env } });
}

export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(VAULT_|COFFER_)/.test(k)) env[k] = v;
  }
  Object.assign(env, opts.env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}
