import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { UsageError } from '../../src/cli/commands/errors.js';
import { durationValue, fileSources, parseKvArgs, stringValues, type KvSources } from '../../src/cli/commands/kv-args.js';

const dir = mkdtempSync(join(tmpdir(), 'coffer-kvargs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function sources(stdin: string): KvSources & { reads: number } {
  const s = {
    reads: 0,
    readStdin: async () => { s.reads++; return stdin; },
    readFile: fileSources(async () => '').readFile,
  };
  return s;
}

describe('KEY=VALUE arguments', () => {
  it('splits on the first = and keeps values as strings', async () => {
    assert.deepEqual(await parseKvArgs(['a=b', 'url=x=y', 'empty='], sources('')), { a: 'b', url: 'x=y', empty: '' });
  });

  it('reads KEY=@FILE, keeps KEY=\\@literal, and reads KEY=- from stdin verbatim', async () => {
    const file = join(dir, 'cert.pem');
    writeFileSync(file, 'line1\nline2\n');
    const src = sources('from stdin\n');
    assert.deepEqual(await parseKvArgs([`cert=@${file}`, 'at=\\@home', 'pw=-'], src), { cert: 'line1\nline2\n', at: '@home', pw: 'from stdin\n' });
    assert.equal(src.reads, 1);
  });

  it('merges a JSON object from stdin (-) or from @file.json', async () => {
    const file = join(dir, 'data.json');
    writeFileSync(file, '{"n": 1, "nested": {"a": true}}');
    assert.deepEqual(await parseKvArgs(['-', 'k=v'], sources('{"x": "y"}')), { x: 'y', k: 'v' });
    assert.deepEqual(await parseKvArgs([`@${file}`], sources('')), { n: 1, nested: { a: true } });
  });

  it('turns a repeated key into a list', async () => {
    assert.deepEqual(await parseKvArgs(['p=a', 'p=b', 'p=c'], sources('')), { p: ['a', 'b', 'c'] });
  });

  it('rejects malformed arguments and a second use of stdin', async () => {
    await assert.rejects(parseKvArgs(['novalue'], sources('')), UsageError);
    await assert.rejects(parseKvArgs(['=v'], sources('')), /key is empty/);
    await assert.rejects(parseKvArgs(['a=-', 'b=-'], sources('x')), /stdin can only be read once/);
    await assert.rejects(parseKvArgs(['-'], sources('[1,2]')), /must hold a JSON object/);
    await assert.rejects(parseKvArgs(['-'], sources('{bad')), /not valid JSON/);
    await assert.rejects(parseKvArgs([`k=@${join(dir, 'missing')}`], sources('')), { code: 'ENOENT' });
  });

  it('collects every string value for redaction', () => {
    assert.deepEqual(stringValues({ a: 'x', b: ['y', { c: 'z' }], n: 1 }).sort(), ['x', 'y', 'z']);
  });

  it('sends integer durations as numbers and the rest verbatim', () => {
    assert.equal(durationValue('3600'), 3600);
    assert.equal(durationValue(' 1h '), '1h');
  });
});
