import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanError } from '../errors.js';
import { loadConfigFile, loadDefaultConfig, parseConfig } from './loader.js';
import { compileRegex, translateRegex } from './regex.js';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-rules-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('rules loader', () => {
  it('loads the built-in rules', () => {
    const c = loadDefaultConfig();
    assert.ok(c.rules.length >= 150);
    assert.ok(c.rules.every((r) => r.regex !== undefined || r.path !== undefined));
  });

  it('reads a rule gate, checks it compiles, and drops an inherited one when the regex is overridden', () => {
    const c = parseConfig('[[rules]]\nid = "g"\nregex = "tok=(\\\\w+)"\nkeywords = ["tok"]\ngate = "="\n', 'r.toml');
    assert.equal(c.rules[0]!.gate, '=');
    assert.throws(() => parseConfig('[[rules]]\nid = "g"\nregex = "x"\ngate = "("\n', 'r.toml'), /gate does not compile/);
    const over = parseConfig('[extend]\nuseDefault = true\n[[rules]]\nid = "generic-password"\nregex = \'\'\'pass=(\\S+)\'\'\'\n', 'r.toml');
    assert.equal(over.rules.find((r) => r.id === 'generic-password')!.gate, undefined);
    const kept = parseConfig('[extend]\nuseDefault = true\n[[rules]]\nid = "generic-password"\nentropy = 3.0\n', 'r.toml');
    assert.notEqual(kept.rules.find((r) => r.id === 'generic-password')!.gate, undefined);
  });

  it('reports malformed TOML with its line number', () => {
    assert.throws(() => parseConfig('title = "x"\n[[rules]]\nid = "a"\nregex = \n', 'rules.toml'), (err: unknown) => {
      assert.ok(err instanceof ScanError);
      assert.equal(err.code, 'ERR_SCAN_CONFIG');
      assert.match(err.message, /^rules\.toml:4: /);
      return true;
    });
  });

  it('reports a bad rule with its id and line', () => {
    assert.throws(() => parseConfig('\n\n[[rules]]\nid = "broken"\nregex = \'\'\'(unclosed\'\'\'\n', 'r.toml'), /r\.toml:4: rule "broken": regex does not compile/);
    assert.throws(() => parseConfig('[[rules]]\ndescription = "no id"\nregex = "x"\n', 'r.toml'), /missing "id"/);
    assert.throws(() => parseConfig('[[rules]]\nid = "c"\nregex = "x"\nchecksum = "luhn9"\n', 'r.toml'), /unknown checksum/);
    assert.throws(() => parseConfig('[[rules]]\nid = "d"\nregex = "x"\n[[rules]]\nid = "d"\nregex = "y"\n', 'r.toml'), /defined twice/);
  });

  it('reads a gitleaks config: [extend] useDefault, disabledRules, overrides and [allowlist]', () => {
    withDir((dir) => {
      const path = join(dir, '.gitleaks.toml');
      writeFileSync(path, `
title = "team rules"
[extend]
useDefault = true
disabledRules = ["generic-password"]

[[rules]]
id = "internal-token"
description = "Internal token"
regex = '''(?i)\\b(itk_[a-z0-9]{32})\\b'''
keywords = ["itk_"]

[[rules]]
id = "github-pat"
entropy = 4.5

[allowlist]
paths = ['''^third_party/''']
`);
      const c = loadConfigFile(path);
      const ids = c.rules.map((r) => r.id);
      assert.ok(ids.includes('internal-token'));
      assert.ok(!ids.includes('generic-password'));
      const gh = c.rules.find((r) => r.id === 'github-pat')!;
      assert.equal(gh.entropy, 4.5);
      assert.equal(gh.checksum, 'github-crc32'); // kept from the base rule
      assert.ok(c.allowlists.some((a) => a.paths.includes('^third_party/')));
      assert.deepEqual(c.warnings, []);
    });
  });

  it('warns that a config without [extend] replaces the built-in rules', () => {
    withDir((dir) => {
      const path = join(dir, 'own.toml');
      writeFileSync(path, '[[rules]]\nid = "only"\nregex = "ONLY-[0-9]+"\n');
      const c = loadConfigFile(path);
      assert.deepEqual(c.rules.map((r) => r.id), ['only']);
      assert.match(c.warnings[0]!, /built-in rules are not used/);
    });
  });

  it('extends another file by path', () => {
    withDir((dir) => {
      writeFileSync(join(dir, 'base.toml'), '[[rules]]\nid = "base"\nregex = "BASE-[0-9]+"\n');
      writeFileSync(join(dir, 'top.toml'), '[extend]\npath = "base.toml"\n[[rules]]\nid = "top"\nregex = "TOP-[0-9]+"\n');
      assert.deepEqual(loadConfigFile(join(dir, 'top.toml')).rules.map((r) => r.id), ['base', 'top']);
    });
  });
});

describe('RE2 → JavaScript regex translation', () => {
  it('handles leading and inline flag groups, named groups and POSIX classes', () => {
    assert.deepEqual(translateRegex('(?i)abc'), { source: 'abc', flags: 'i' });
    assert.deepEqual(translateRegex('x(?i:abc)y'), { source: 'x(?:abc)y', flags: 'i' });
    assert.deepEqual(translateRegex('(?P<key>[[:alnum:]]+)\\z'), { source: '(?<key>[a-zA-Z0-9]+)$', flags: '' });
    assert.ok(compileRegex('(?i)(?:a|b)(?-i:C)').test('Bc'));
  });
});
