import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatHcl } from '../../src/cli/output/hcl.js';

describe('policy fmt', () => {
  it('indents, aligns = across consecutive attributes and separates blocks', () => {
    const src = 'path "a/*" {\ncapabilities = ["read","list"]\nmin_wrapping_ttl="1s"\n}\npath "b" { capabilities = ["deny"] }\n';
    assert.equal(formatHcl(src),
      'path "a/*" {\n  capabilities     = ["read", "list"]\n  min_wrapping_ttl = "1s"\n}\n\npath "b" {\n  capabilities = ["deny"]\n}\n');
  });

  it('keeps comments: leading, trailing, block comments and after the last block', () => {
    const src = '# head\npath "a" { # on header\n  // inside\n  capabilities = ["read"] # tail\n  /* multi\n line */\n}\n# end\n';
    const out = formatHcl(src);
    for (const c of ['# head', '# on header', '// inside', '# tail', '/* multi\n line */', '# end']) assert.ok(out.includes(c), c);
    assert.match(out, /capabilities = \["read"\] # tail/);
    assert.ok(out.indexOf('# end') > out.lastIndexOf('}'));
  });

  it('does not mistake # inside strings or heredocs for comments', () => {
    const src = 'path "a#b" {\n  capabilities = ["read"]\n  note = <<EOT\n# not a comment\nEOT\n}\n';
    const out = formatHcl(src);
    assert.equal((out.match(/# not a comment/g) ?? []).length, 1);
    assert.match(out, /path "a#b" \{/);
  });

  it('formats object values with quoted, aligned keys', () => {
    const out = formatHcl('path "sys/x" {\n allowed_parameters = { "ttl" = [], "*" = ["a"] }\n}\n');
    assert.match(out, / {2}allowed_parameters = \{\n {4}"ttl" = \[\]\n {4}"\*" {3}= \["a"\]\n {2}\}/);
  });

  it('is idempotent', () => {
    const src = 'path "x" {\n  capabilities = ["create", "read"]\n  denied_parameters = {\n    "a" = []\n  }\n}\n';
    assert.equal(formatHcl(src), src);
    assert.equal(formatHcl(formatHcl(src)), formatHcl(src));
  });

  it('refuses malformed input with a line number', () => {
    assert.throws(() => formatHcl('path "x" {\n  capabilities = [\n'), /line \d+/);
  });
});
