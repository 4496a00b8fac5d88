import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyBaseline, buildBaseline, readBaseline, writeBaseline } from './baseline.js';
import type { Finding } from './types.js';

function finding(fp: string, line = 1): Finding {
  return { ruleId: 'r', description: 'd', file: 'f', line, column: 1, endLine: line, endColumn: 2, secret: 's', match: 's', lineText: '', entropy: 1, tags: [], fingerprint: fp };
}

describe('baseline', () => {
  it('round-trips fingerprints without secrets and filters accepted findings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-baseline-'));
    try {
      const path = join(dir, 'b.json');
      assert.equal(writeBaseline(path, [finding('a'), finding('a', 9), finding('b')]), 2);
      const accepted = readBaseline(path);
      assert.deepEqual([...accepted].sort(), ['a', 'b']);
      const { kept, suppressed } = applyBaseline([finding('a'), finding('c')], accepted);
      assert.deepEqual(kept.map((f) => f.fingerprint), ['c']);
      assert.equal(suppressed, 1);
      assert.ok(!JSON.stringify(buildBaseline([finding('a')])).includes('"secret"'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('accepts a JSON report as a baseline and rejects garbage clearly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-baseline-'));
    try {
      writeFileSync(join(dir, 'r.json'), JSON.stringify([finding('x')]));
      assert.deepEqual([...readBaseline(join(dir, 'r.json'))], ['x']);
      writeFileSync(join(dir, 'bad.json'), '{nope');
      assert.throws(() => readBaseline(join(dir, 'bad.json')), /not valid JSON/);
      assert.throws(() => readBaseline(join(dir, 'missing.json')), /cannot read baseline/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
