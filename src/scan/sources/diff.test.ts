import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createDiffParser, type FilePatch } from './diff.js';

const log = [
  '\x01' + ['a'.repeat(40), 'Ada', 'ada@example.test', '2024-01-01T00:00:00Z', 'add config'].join('\x1f'),
  '',
  'diff --git a/conf/app.env b/conf/app.env',
  'new file mode 100644',
  'index 0000000000000000000000000000000000000000..1111111111111111111111111111111111111111',
  '--- /dev/null',
  '+++ b/conf/app.env',
  '@@ -0,0 +1,2 @@',
  '+A=1',
  '+++B=2',
  'diff --git a/img.png b/img.png',
  'new file mode 100644',
  'index 0000000000000000000000000000000000000000..2222222222222222222222222222222222222222',
  'Binary files /dev/null and b/img.png differ',
  'diff --git a/src/x.ts b/src/x.ts',
  'index 3333333333333333333333333333333333333333..4444444444444444444444444444444444444444 100644',
  '--- a/src/x.ts',
  '+++ b/src/x.ts',
  '@@ -10 +10,0 @@',
  '-gone',
  '@@ -20,0 +21 @@',
  '+added at 21',
  '\\ No newline at end of file',
  'diff --git a/old.txt b/old.txt',
  'deleted file mode 100644',
  '--- a/old.txt',
  '+++ /dev/null',
  '@@ -1 +0,0 @@',
  '-bye',
];

describe('diff parser', () => {
  it('collects added lines with real line numbers, per file and commit', () => {
    const patches: FilePatch[] = [];
    const p = createDiffParser((x) => patches.push(x), 1 << 20);
    for (const l of log) p.push(l);
    p.end();
    assert.deepEqual(patches.map((x) => [x.path, x.isNew, x.binary, x.addedLines, x.lineMap]), [
      ['conf/app.env', true, false, ['A=1', '++B=2'], [1, 2]],
      ['img.png', true, true, [], []],
      ['src/x.ts', false, false, ['added at 21'], [21]],
    ]);
    assert.equal(patches[0]!.commit?.author, 'Ada');
    assert.equal(patches[2]!.newBlob, '4'.repeat(40));
  });
  it('stops collecting past the size limit but keeps counting', () => {
    const patches: FilePatch[] = [];
    const p = createDiffParser((x) => patches.push(x), 4);
    for (const l of log.slice(0, 10)) p.push(l);
    p.end();
    assert.ok(patches[0]!.addedBytes > 4);
  });
});
