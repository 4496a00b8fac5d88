import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HclSyntaxError, hclBodyToObject, parseHCL } from './hcl.js';
import { InvalidRequestError } from '../core/errors.js';

function syntaxError(text: string, pattern?: RegExp): HclSyntaxError {
  try {
    parseHCL(text);
  } catch (err) {
    assert.ok(err instanceof HclSyntaxError, `expected HclSyntaxError, got ${String(err)}`);
    if (pattern) assert.match(err.message, pattern);
    return err;
  }
  assert.fail(`expected a syntax error for ${JSON.stringify(text)}`);
}

test('attributes of every value type', () => {
  const body = parseHCL(`
    s = "hello"
    i = 42
    neg = -7
    f = 1.5e3
    hex = 0x1F
    t = true
    fa = false
    n = null
    l = ["a", 1, true,]
    o = { a = 1, "b": "x", c = [1, 2] }
    e = []
    eo = {}
  `);
  assert.deepEqual(body.attributes, {
    s: 'hello', i: 42, neg: -7, f: 1500, hex: 31, t: true, fa: false, n: null,
    l: ['a', 1, true], o: { a: 1, b: 'x', c: [1, 2] }, e: [], eo: {},
  });
  assert.equal(body.attributeLines.s, 2);
  assert.equal(body.attributeLines.eo, 13);
  assert.deepEqual(body.blocks, []);
});

test('comments of all three kinds', () => {
  const body = parseHCL(`
    # hash comment
    a = 1 // trailing slash comment
    /* block
       comment */ b = 2
    c = "# not a comment // nor this /* nor this */"
  `);
  assert.deepEqual(body.attributes, { a: 1, b: 2, c: '# not a comment // nor this /* nor this */' });
});

test('string escapes', () => {
  const body = parseHCL(String.raw`s = "a\"b\\c\nd\te\u00e9\U0001F600\/"`);
  assert.equal(body.attributes.s, 'a"b\\c\nd\te\u00e9\u{1F600}/');
  // ${} and %{} stay literal
  assert.equal(parseHCL('s = "${var.x} %{if}"').attributes.s, '${var.x} %{if}');
});

test('heredocs, plain and indented', () => {
  const body = parseHCL('a = <<EOF\nline 1\n  line 2\nEOF\nb = <<-EOT\n    x\n      y\n\n    z\n    EOT\nc = 1\n');
  assert.equal(body.attributes.a, 'line 1\n  line 2\n');
  assert.equal(body.attributes.b, 'x\n  y\n\nz\n');
  assert.equal(body.attributes.c, 1);
  assert.equal(body.attributeLines.c, 11);
  assert.equal(parseHCL('a = <<EOF\r\nwin\r\nEOF\r\n').attributes.a, 'win\n');
  assert.equal(parseHCL('a = <<EOF\nEOF').attributes.a, '');
});

test('blocks with zero, one and two labels, nested', () => {
  const body = parseHCL(`
    ui = true
    storage "sqlite" {
      path = "/var/lib/coffer/data.db"
    }
    listener "tcp" {
      address     = "127.0.0.1:8200"
      tls_disable = true
      extra { k = "v" }
    }
    seal transit "primary" { key_name = "autounseal" }
    path "secret/*" { capabilities = ["read", "list"] }
  `);
  assert.equal(body.blocks.length, 4);
  assert.deepEqual(body.blocks.map((b) => [b.type, b.labels, b.line]), [
    ['storage', ['sqlite'], 3],
    ['listener', ['tcp'], 6],
    ['seal', ['transit', 'primary'], 11],
    ['path', ['secret/*'], 12],
  ]);
  const listener = body.blocks[1]!;
  assert.deepEqual(listener.body.blocks[0]!.type, 'extra');
  assert.deepEqual(listener.body.blocks[0]!.labels, []);
  assert.deepEqual(hclBodyToObject(body), {
    ui: true,
    storage: { sqlite: { path: '/var/lib/coffer/data.db' } },
    listener: { tcp: { address: '127.0.0.1:8200', tls_disable: true, extra: { k: 'v' } } },
    seal: { transit: { primary: { key_name: 'autounseal' } } },
    path: { 'secret/*': { capabilities: ['read', 'list'] } },
  });
});

test('hclBodyToObject: distinct labels share a type, repeated labels become arrays', () => {
  const body = parseHCL(`
    path "a" { x = 1 }
    path "b" { x = 2 }
    listener "tcp" { address = ":1" }
    listener "tcp" { address = ":2" }
    telemetry {}
    telemetry { y = 1 }
  `);
  assert.deepEqual(hclBodyToObject(body), {
    path: { a: { x: 1 }, b: { x: 2 } },
    listener: { tcp: [{ address: ':1' }, { address: ':2' }] },
    telemetry: [{}, { y: 1 }],
  });
  assert.throws(() => hclBodyToObject(parseHCL('a = 1\na "x" {}')), HclSyntaxError);
  assert.throws(() => hclBodyToObject(parseHCL('a "x" {}\na {}')), HclSyntaxError);
});

test('separators: newlines, commas or nothing (HCL1 leniency), one-line blocks', () => {
  const body = parseHCL('a = 1 b = 2, c = "x" d { e = [1,\n2,\n] }');
  assert.deepEqual(hclBodyToObject(body), { a: 1, b: 2, c: 'x', d: { e: [1, 2] } });
  assert.deepEqual(parseHCL('o = {\n  a = 1\n  b = 2\n}').attributes.o, { a: 1, b: 2 });
});

test('quoted attribute and object keys, special key names stay plain data', () => {
  const body = parseHCL('"*" = []\no = { "__proto__" = 1, constructor = 2 }\n__proto__ = 3');
  assert.deepEqual(Object.keys(body.attributes), ['*', 'o', '__proto__']);
  const o = body.attributes.o as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(o), Object.prototype);
  assert.equal(Object.prototype.hasOwnProperty.call(o, '__proto__'), true);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const plain = hclBodyToObject(body);
  assert.equal(Object.prototype.hasOwnProperty.call(plain, '__proto__'), true);
  assert.equal(Object.getPrototypeOf(plain), Object.prototype);
});

test('empty input and BOM', () => {
  assert.deepEqual(parseHCL(''), { attributes: {}, attributeLines: {}, blocks: [] });
  assert.deepEqual(parseHCL('\ufeff# only a comment\n').attributes, {});
});

test('syntax errors carry line and column', () => {
  const e = syntaxError('a = 1\nb = "unterminated\n', /unterminated string \(newline in string\) at line 2, column 5/);
  assert.equal(e.line, 2);
  assert.equal(e.column, 5);
  assert.ok(e instanceof InvalidRequestError);
  assert.equal(e.code, 'ERR_INVALID_REQUEST');
  syntaxError('a = ', /expected a value at line 1, column 5/);
  syntaxError('a = b', /identifier "b": expected a value \(strings must be quoted\)/);
  syntaxError('a = 1h', /invalid number/);
  syntaxError('a = 1.', /invalid number/);
  syntaxError('a = [1 2]', /expected ',' or ']'/);
  syntaxError('a = [1,', /end of input/);
  syntaxError('a { b = 1', /expected '}'/);
  syntaxError('a }', /expected '=' or '\{'/);
  syntaxError('}', /unexpected '}'/);
  syntaxError('a "x" = 1', /after block labels/);
  syntaxError('a = 1\na = 2', /defined more than once \(first on line 1\) at line 2, column 1/);
  syntaxError('o = { a = 1, a = 2 }', /defined more than once/);
  syntaxError('o = { 1 = 2 }', /expected a key/);
  syntaxError('a = "\\q"', /invalid escape sequence "\\q"/);
  syntaxError('a = "\\u12"', /expected 4 hex digits/);
  syntaxError('a = "\\U7FFFFFFF"', /out of range/);
  syntaxError('/* never closed', /unterminated block comment at line 1, column 1/);
  syntaxError('a = <<EOF\nno end', /unterminated heredoc/);
  syntaxError('a = <<EOF trailing\nEOF', /followed by a newline/);
  syntaxError('a = << \nEOF', /identifier after "<<"/);
  syntaxError('a = 0x', /hexadecimal/);
  syntaxError('a = 1\n\n   @', /unexpected character '@' at line 3, column 4/);
  syntaxError('a = 1e999', /out of range/);
  syntaxError('a = "\u0000"\nb = \u0001', /unexpected character '\\x01'/);
});

test('deep nesting is refused without overflowing the stack', () => {
  const n = 200_000;
  syntaxError(`a = ${'['.repeat(n)}${']'.repeat(n)}`, /nesting deeper than 64 levels/);
  syntaxError(`a = ${'{a='.repeat(n)}1${'}'.repeat(n)}`, /nesting deeper than 64 levels/);
  syntaxError(`a = ${'['.repeat(n)}`, /nesting deeper than 64 levels/);
  syntaxError(`${'a {'.repeat(100_000)}${'}'.repeat(100_000)}`, /nesting deeper/);
  // 60 levels are fine
  const ok = parseHCL(`a = ${'['.repeat(60)}${']'.repeat(60)}`);
  assert.ok(Array.isArray(ok.attributes.a));
});

test('large input parses in linear time', () => {
  const parts: string[] = [];
  for (let i = 0; i < 20_000; i++) parts.push(`path "secret/app${i}/*" {\n  capabilities = ["read", "list"]\n}\n`);
  const start = performance.now();
  const body = parseHCL(parts.join(''));
  assert.equal(body.blocks.length, 20_000);
  assert.ok(performance.now() - start < 2000);
});

// A small deterministic PRNG so the fuzz cases are the same on every run.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('fuzz: random garbage and mutated documents only ever raise HclSyntaxError', () => {
  const rand = rng(0xc0ffee);
  const alphabet = ['{', '}', '[', ']', '=', ',', ':', '"', '\\', '\n', ' ', '#', '/', '*', '<<', '<<-', 'EOF', '-', '0', '1.5', 'x', 'true', 'null', '\u00e9', '\u0000', '\r', 'u', 'path', '"a"', '0x', 'e', '.'];
  const seedDoc = 'path "secret/*" {\n  capabilities = ["read", "list"] # c\n  allowed_parameters = { "a" = [] }\n}\nb = <<EOF\nx\nEOF\n';
  for (let i = 0; i < 3000; i++) {
    let text: string;
    if (i % 2 === 0) {
      const n = Math.floor(rand() * 60);
      text = '';
      for (let j = 0; j < n; j++) text += alphabet[Math.floor(rand() * alphabet.length)];
    } else {
      const chars = [...seedDoc];
      const edits = 1 + Math.floor(rand() * 4);
      for (let j = 0; j < edits; j++) {
        const at = Math.floor(rand() * (chars.length + 1));
        const op = rand();
        if (op < 0.4) chars.splice(at, 1);
        else if (op < 0.8) chars.splice(at, 0, alphabet[Math.floor(rand() * alphabet.length)]!);
        else chars[at] = String.fromCharCode(Math.floor(rand() * 128));
      }
      text = chars.join('');
    }
    try {
      const body = parseHCL(text);
      try {
        hclBodyToObject(body);
      } catch (err) {
        if (!(err instanceof HclSyntaxError)) throw err;
      }
    } catch (err) {
      if (!(err instanceof HclSyntaxError)) assert.fail(`non-syntax error for ${JSON.stringify(text)}: ${String(err)}`);
      assert.match(err.message, /at line \d+, column \d+$/);
    }
  }
});
