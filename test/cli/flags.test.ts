import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/cli/commands/errors.js';
import { formatHelp, HelpRequested, parseArgv, type CommandDef } from '../../src/cli/commands/flags.js';

const def: CommandDef = {
  name: 'kv put',
  args: 'PATH KEY=VALUE...',
  summary: 'test command',
  flags: [
    { name: 'format', kind: 'string', usage: 'format' },
    { name: 'cas', kind: 'int', usage: 'cas' },
    { name: 'orphan', kind: 'bool', usage: 'orphan' },
    { name: 'policy', kind: 'list', usage: 'policy' },
    { name: 'metadata', kind: 'map', usage: 'metadata' },
    { name: 'namespace', aliases: ['ns'], kind: 'string', usage: 'ns' },
  ],
  minArgs: 1,
};

describe('Go-style flag parsing', () => {
  it('accepts -name=value, -name value and --name=value alike', () => {
    for (const argv of [['-format=json', 'p'], ['-format', 'json', 'p'], ['--format=json', 'p'], ['--format', 'json', 'p']]) {
      const p = parseArgv(def, argv);
      assert.equal(p.str('format'), 'json', argv.join(' '));
      assert.deepEqual(p.args, ['p']);
    }
  });

  it('allows flags after positional arguments, and -- ends flag parsing', () => {
    const p = parseArgv(def, ['secret/foo', 'a=b', '-cas=3', '--', '-orphan']);
    assert.deepEqual(p.args, ['secret/foo', 'a=b', '-orphan']);
    assert.equal(p.int('cas'), 3);
    assert.equal(p.bool('orphan'), false);
    assert.equal(p.has('orphan'), false);
  });

  it('treats a lone - as a positional argument (stdin)', () => {
    assert.deepEqual(parseArgv(def, ['p', '-']).args, ['p', '-']);
  });

  it('parses booleans like Go: bare, =true/false/1/0/t/f', () => {
    assert.equal(parseArgv(def, ['p', '-orphan']).bool('orphan'), true);
    assert.equal(parseArgv(def, ['p', '-orphan=false']).bool('orphan'), false);
    assert.equal(parseArgv(def, ['p', '-orphan=false']).has('orphan'), true);
    assert.equal(parseArgv(def, ['p', '-orphan=1']).bool('orphan'), true);
    assert.equal(parseArgv(def, ['p', '-orphan=F']).bool('orphan'), false);
    assert.throws(() => parseArgv(def, ['p', '-orphan=maybe']), UsageError);
    // a bool never swallows the next argument
    assert.deepEqual(parseArgv(def, ['-orphan', 'p']).args, ['p']);
  });

  it('repeats and comma-splits list flags, and collects map flags', () => {
    const p = parseArgv(def, ['p', '-policy=a,b', '-policy', 'c', '-metadata=k=v=w', '-metadata', 'x=y']);
    assert.deepEqual(p.list('policy'), ['a', 'b', 'c']);
    assert.deepEqual(p.map('metadata'), { k: 'v=w', x: 'y' });
    assert.throws(() => parseArgv(def, ['p', '-metadata=novalue']), UsageError);
  });

  it('knows aliases', () => {
    assert.equal(parseArgv(def, ['p', '-ns=team']).str('namespace'), 'team');
  });

  it('rejects unknown flags, missing values, bad integers and wrong argument counts', () => {
    assert.throws(() => parseArgv(def, ['p', '-nope']), /flag provided but not defined: -nope/);
    assert.throws(() => parseArgv(def, ['p', '-format']), /flag needs an argument: -format/);
    assert.throws(() => parseArgv(def, ['p', '-cas=x']), /expected an integer/);
    assert.throws(() => parseArgv(def, []), /not enough arguments/);
    assert.throws(() => parseArgv({ ...def, maxArgs: 1 }, ['a', 'b']), /too many arguments/);
  });

  it('signals -h, -help and --help, and formats help text', () => {
    for (const h of ['-h', '-help', '--help']) assert.throws(() => parseArgv(def, [h]), HelpRequested);
    const text = formatHelp(def);
    assert.match(text, /^Usage: coffer kv put \[flags\] PATH KEY=VALUE\.\.\./);
    assert.match(text, /-namespace=VALUE, -ns=VALUE|-namespace, -ns=VALUE/);
  });

  it('keeps negative-looking values of string flags', () => {
    assert.equal(parseArgv(def, ['p', '-format', '-x']).str('format'), '-x');
  });
});
