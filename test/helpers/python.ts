// Runs one of the repository's Python client scripts (Debian's python3-hvac) asynchronously, as the
// server under test lives in this process, and parses the JSON it prints.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/** `script` is a path from the repository root, e.g. test/integration/fixtures/leases_hvac.py. */
export function runPython(script: string, args: string[]): Promise<{ code: number | null; out: any; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', [join(repoRoot, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += String(d); });
    child.stderr.on('data', (d) => { stderr += String(d); });
    child.on('error', reject);
    child.on('close', (code) => {
      let out: unknown;
      try { out = JSON.parse(stdout); } catch { out = undefined; }
      resolve({ code, out, stderr: `${stderr}\nstdout: ${stdout}` });
    });
  });
}
