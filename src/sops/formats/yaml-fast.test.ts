import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { createValueCipher } from '../cipher.js';
import { encryptDocument } from '../crypt.js';
import { fastParseYaml } from './yaml-fast.js';
import { emitYamlDocuments, parseYamlDocumentsFull, resolvePlainScalar } from './yaml.js';

const deps = { resolvePlain: resolvePlainScalar };

const CORPUS = [
  'a: 1\n',
  '# head\n\n# second\nb: 1 # inline\na:\n    # inside a\n    x: "quoted 123"\n    y: \'it\'\'s\'\n    list:\n        - one\n        # between\n        - k: v\n          k2: v2\n        - - nested\n',
  'root:\n    deep:\n        deeper:\n            value: x\n            # foot of deeper\n        # foot of deep\n    # foot of root\n# foot of file\n',
  'k8s:\n- a\n- b\nnext: 1\n',
  'multi: |\n    line one\n\n    line three\nstrip: |-\n    no newline\nkeep: |+\n    kept\n\n\nafter: 1\n',
  'list:\n    - |\n      block in list\n    - x: |-\n          block in map in list\n      y: 2\n',
  'e: []\nm: {}\nn:\nt: ~\nq: ""\nnum: 0x1F\nf: 1.5e3\nd: 2024-01-01\nb: True\nurl: http://example.com/a#frag\nk: "esc\\n\\"q\\"\\u00e9"\n',
  '- top level list\n',
  'a: [1, 2]\n',
  'a: &x 1\nb: *x\n',
  'a: b: c\n',
  'a:\n  multi line\n  plain\n',
  'a: "unterminated\n  continues"\n',
  '"quoted key": 1\n\'single\': 2\n',
  'a: 1\n---\nb: 2\n',
  '---\na: 1\n',
  'a: 1\na: 2\n',
  '1: x\n',
  'dash:\n    -\n        k: v\n    - # comment on dash\n      k: w\n',
  'app: # about app\n    x: 1\n',
  'a:\n    #\n    # after empty comment\n    b: 1\n',
  '# only comments\n',
  'tabs:\tx\n',
];

function checkSame(text: string): boolean {
  const fast = fastParseYaml(text, deps);
  if (fast === undefined) return false;
  let full: unknown;
  try {
    full = parseYamlDocumentsFull(text);
  } catch (err) {
    assert.fail(`fast path accepted text the full parser rejects (${(err as Error).message}):\n${text}`);
  }
  assert.deepEqual(fast, full, `fast and full parsers disagree on:\n${text}`);
  return true;
}

test('fast YAML path gives exactly what the full parser gives, or declines', () => {
  let accepted = 0;
  for (const text of CORPUS) if (checkSame(text)) accepted++;
  assert.ok(accepted >= 10, `fast path accepted only ${accepted} of ${CORPUS.length}`);
  for (const declined of ['- top level list\n', 'a: [1, 2]\n', 'a: &x 1\nb: *x\n', 'a: 1\na: 2\n', '1: x\n', 'a:\n  multi line\n  plain\n']) {
    assert.equal(fastParseYaml(declined, deps), undefined, declined);
  }
});

test('fast YAML path agrees on the fixtures and on our own output, and accepts the common layouts', () => {
  const here = dirname(fileURLToPath(import.meta.url));
  let root = here;
  while (!readdirSync(root).includes('package.json')) root = dirname(root);
  const fixtures = join(root, 'test', 'sops', 'fixtures');
  for (const f of readdirSync(fixtures).filter((n) => n.endsWith('.yaml'))) checkSame(readFileSync(join(fixtures, f), 'utf8'));
  assert.ok(checkSame(readFileSync(join(fixtures, 'format.enc.yaml'), 'utf8')), 'fast path declined format.enc.yaml');
  const rule = { kind: 'unencrypted_suffix', value: '_unencrypted' } as const;
  for (const text of CORPUS) {
    let doc;
    try {
      doc = parseYamlDocumentsFull(text);
    } catch {
      continue;
    }
    checkSame(emitYamlDocuments(encryptDocument(doc, createValueCipher(new Uint8Array(32)), { rule, macOnlyEncrypted: false }).doc));
    checkSame(emitYamlDocuments(doc));
  }
  // A typical config file (comments above keys, lists, blocks) and its encrypted form are accepted.
  const typical = '# service settings\nservice:\n    # login\n    user: admin # inline\n    password: s3cret\n    hosts:\n        - a.example\n        - b.example\n    cert: |\n        -----BEGIN-----\n        abc\n        -----END-----\n    port: 8080\nother: x\n';
  assert.ok(checkSame(typical), 'fast path declined a typical file');
  const enc = emitYamlDocuments(encryptDocument(parseYamlDocumentsFull(typical), createValueCipher(new Uint8Array(32)), { rule, macOnlyEncrypted: false }).doc);
  assert.ok(checkSame(enc), `fast path declined our encrypted typical file:\n${enc}`);
});
