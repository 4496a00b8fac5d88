// Shared helpers for the `coffer sops` integration tests: an in-memory I/O for running commands
// in-process, age identities, temp directories and paths to the fixtures and the CLI entry point.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { runSops } from '../../src/cli/sops-main.js';
import type { SopsIo } from '../../src/sops/cli/common.js';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot();
export const FIXTURES = join(REPO_ROOT, 'test', 'sops', 'fixtures');
export const PGP_KEY_FILE = join(FIXTURES, 'sops_functional_tests_key.asc');
export const FP1 = 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4';
export const FP2 = 'D7229043384BCC60326C6FB9D8720D957C3D3074';
export const BIN = join(REPO_ROOT, 'bin', 'coffer.js');

export interface RunResult {
  code: number;
  stdout: string;
  stdoutBytes: Uint8Array;
  stderr: string;
}

/** A clean environment: no real keys of the machine are used. */
export function baseEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    GNUPGHOME: join(home, '.gnupg-absent'),
    ...extra,
  };
}

export async function sops(argv: string[], opts: { env: NodeJS.ProcessEnv; cwd: string; stdin?: Uint8Array | string; tty?: boolean }): Promise<RunResult> {
  const out: Uint8Array[] = [];
  let err = '';
  const io: SopsIo = {
    env: opts.env,
    cwd: opts.cwd,
    stdout: (b) => {
      out.push(typeof b === 'string' ? new TextEncoder().encode(b) : new Uint8Array(b));
    },
    stderr: (t) => {
      err += t;
    },
    readStdin: async () => (typeof opts.stdin === 'string' ? new TextEncoder().encode(opts.stdin) : (opts.stdin ?? new Uint8Array())),
    stdinIsTTY: opts.tty ?? false,
  };
  const code = await runSops(argv, io);
  const stdoutBytes = new Uint8Array(Buffer.concat(out));
  return { code, stdout: Buffer.from(stdoutBytes).toString('utf8'), stdoutBytes, stderr: err };
}

/** Runs the real CLI as a user would: `node bin/coffer.js sops …`. */
export function cli(argv: string[], opts: { env: NodeJS.ProcessEnv; cwd: string; input?: string }): RunResult {
  const r = spawnSync(process.execPath, [BIN, 'sops', ...argv], { cwd: opts.cwd, env: opts.env, input: opts.input ?? '', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout.toString('utf8'), stdoutBytes: new Uint8Array(r.stdout), stderr: r.stderr.toString('utf8') };
}

/** Like cli() but without blocking the event loop (for tests that also run a server in-process). */
export function cliAsync(argv: string[], opts: { env: NodeJS.ProcessEnv; cwd: string }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'sops', ...argv], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdout = Buffer.concat(out);
      resolve({ code: code ?? -1, stdout: stdout.toString('utf8'), stdoutBytes: new Uint8Array(stdout), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

export async function newAgeKey(): Promise<{ identity: string; recipient: string }> {
  const identity = await generateIdentity();
  return { identity, recipient: await identityToRecipient(identity) };
}

export function tempDir(prefix = 'coffer-sops-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

export function hasProgram(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Every `ENC[…]` string in a file, in order. */
export function encStrings(text: string): string[] {
  return text.match(/ENC\[AES256_GCM,[^\]]*\]/g) ?? [];
}
