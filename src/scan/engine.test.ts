import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ASSIGNMENT_GATE, assignmentFollows, createScanner, fingerprintOf } from './engine.js';
import { loadDefaultConfig, parseConfig } from './rules/loader.js';
import { createRng, githubStyleBody, randomPassword } from '../../test/scan/token-gen.js';

const scanner = createScanner(loadDefaultConfig());
const rng = createRng(7);

describe('engine', () => {
  it('reports line, column and a fingerprint independent of the line', () => {
    const token = `ghp_${githubStyleBody(rng)}`;
    const [f] = scanner.scanFragment({ path: 'a.ts', text: `// header\n\nconst t = "${token}";\n` });
    assert.ok(f);
    assert.equal(f.line, 3);
    assert.equal(f.column, 12);
    assert.equal(f.secret, token);
    assert.equal(f.fingerprint, fingerprintOf('github-pat', 'a.ts', token));
    const [g] = scanner.scanFragment({ path: 'a.ts', text: `\n\n\n\n// moved\nconst t = "${token}";\n` });
    assert.equal(g!.fingerprint, f.fingerprint);
  });

  it('honours inline coffer:allow', () => {
    const token = `ghp_${githubStyleBody(rng)}`;
    assert.equal(scanner.scanFragment({ path: 'a.ts', text: `t = "${token}" // coffer:allow test fixture` }).length, 0);
  });

  it('maps diff fragments to real line numbers', () => {
    const token = `ghp_${githubStyleBody(rng)}`;
    const [f] = scanner.scanFragment({ path: 'a.ts', text: `one\n${token}`, lineMap: [10, 42] });
    assert.equal(f!.line, 42);
  });

  it('keeps the specific rule when a generic one matches the same value', () => {
    const token = `ghp_${githubStyleBody(rng)}`;
    const ids = scanner.scanFragment({ path: '.env', text: `GITHUB_TOKEN=${token}` }).map((f) => f.ruleId);
    assert.deepEqual(ids, ['github-pat']);
  });

  it('survives minified one-line files and invalid UTF-8', () => {
    const token = `ghp_${githubStyleBody(rng)}`;
    const minified = 'var a={token:1,key:2,password:3};'.repeat(20000) + `var t="${token}";` + 'x=1;'.repeat(1000);
    const found = scanner.scanFragment({ path: 'app.min.js', text: minified });
    assert.deepEqual(found.map((f) => f.ruleId), ['github-pat']);
    assert.ok(found[0]!.lineText.length <= 400);
    const garbled = Buffer.concat([Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(` password = "${randomPassword(rng, 16)}"`)]).toString('utf8');
    assert.deepEqual(scanner.scanFragment({ path: 'x', text: garbled }).map((f) => f.ruleId), ['generic-password']);
  });

  it('supports composite rules (secret next to a key id)', () => {
    const cfg = parseConfig(`
[[rules]]
id = "id"
regex = '''ID-[0-9]{4}'''
keywords = ["id-"]
skipReport = true
[[rules]]
id = "secret"
regex = '''SEC-([A-Za-z0-9]{12})'''
keywords = ["sec-"]
[[rules.required]]
id = "id"
withinLines = 1
`, 'inline.toml');
    const s = createScanner(cfg);
    assert.deepEqual(s.scanFragment({ path: 'x', text: 'ID-1234\nSEC-aB3dE5gH7jK9' }).map((f) => f.ruleId), ['secret']);
    assert.deepEqual(s.scanFragment({ path: 'x', text: 'ID-1234\n\n\nSEC-aB3dE5gH7jK9' }).map((f) => f.ruleId), []);
  });

  it('applies allowlists: path, regex on line, stopwords, AND condition', () => {
    const cfg = parseConfig(`
[[rules]]
id = "tok"
regex = '''TOK_([A-Za-z0-9]{16})'''
keywords = ["tok_"]
[[rules.allowlists]]
paths = ['''^fixtures/''']
[[rules.allowlists]]
regexTarget = "line"
regexes = ['''#\\s*fake''']
[[rules.allowlists]]
stopwords = ["demo"]
[[rules.allowlists]]
condition = "AND"
paths = ['''\\.md$''']
regexes = ['''^Z''']
`, 'inline.toml');
    const s = createScanner(cfg);
    const scan = (path: string, text: string) => s.scanFragment({ path, text }).length;
    assert.equal(scan('src/a.ts', 'TOK_aB3dE5gH7jK9mN1p'), 1);
    assert.equal(scan('fixtures/a.ts', 'TOK_aB3dE5gH7jK9mN1p'), 0);
    assert.equal(scan('src/a.ts', 'TOK_aB3dE5gH7jK9mN1p # fake'), 0);
    assert.equal(scan('src/a.ts', 'TOK_aB3dE5gHdemoN1pq'), 0);
    assert.equal(scan('README.md', 'TOK_Zb3dE5gH7jK9mN1p'), 0);
    assert.equal(scan('README.md', 'TOK_aB3dE5gH7jK9mN1p'), 1);
    assert.equal(scan('src/a.ts', 'TOK_Zb3dE5gH7jK9mN1p'), 1);
  });

  it('a gate decides, at each keyword hit, whether the hit opens a window', () => {
    const rules = (gate: string) => parseConfig(`
[[rules]]
id = "tok"
regex = '''tok\\w*\\s*=\\s*"([A-Za-z0-9]{16})"'''
keywords = ["tok"]
gate = '''${gate}'''
`, 'inline.toml');
    const text = 'tokenize(a); other_tok = "aB3dE5gH7jK9mN1p";\nx = 1\n';
    // The first hit on the line fails the gate, the second passes and the line is scanned.
    assert.deepEqual(createScanner(rules('\\w*\\s*=')).scanFragment({ path: 'x', text }).map((f) => [f.ruleId, f.line, f.column]), [['tok', 1, 27]]);
    // A gate no hit passes leaves the rule's regex unrun (which is why a gate must be implied by the regex).
    assert.deepEqual(createScanner(rules('\\s*:')).scanFragment({ path: 'x', text }), []);
  });

  it('tests the assignment gate in code exactly as the regex does', () => {
    const re = new RegExp(ASSIGNMENT_GATE, 'y');
    const alphabet = ['a', 'Z', '9', '_', '-', '.', "'", '"', ' ', '\t', '\n', '\u00a0', '\u2003', ':', '=', '>', '(', 'é'];
    const r = createRng(11);
    for (let n = 0; n < 20000; n++) {
      let s = '';
      const len = Math.floor(r() * 30);
      for (let i = 0; i < len; i++) s += alphabet[Math.floor(r() * (r() < 0.5 ? 5 : alphabet.length))]!;
      const at = Math.floor(r() * (s.length + 1));
      re.lastIndex = at;
      assert.equal(assignmentFollows(s, at), re.test(s), JSON.stringify([s, at]));
    }
    assert.equal(assignmentFollows('password = x', 8), true);
    assert.equal(assignmentFollows('passwordIsRequired()', 8), false);
    assert.equal(assignmentFollows(`token${'x'.repeat(21)}=1`, 5), false);
  });

  it('gives the same findings with the built-in gates as without them', () => {
    const cfg = loadDefaultConfig();
    const ungated = loadDefaultConfig();
    for (const r of ungated.rules) delete r.gate;
    assert.ok(cfg.rules.some((r) => r.gate !== undefined));
    const lines = [
      `db_password = "${randomPassword(rng, 16)}"`, `  api.key: '${randomPassword(rng, 20)}'`, 'token = os.environ["API_TOKEN"]',
      `tokenizer(); const secret_value="${randomPassword(rng, 24)}"`, `"signing-key" => "${randomPassword(rng, 24)}",`,
      `PASSWORD\t:=\t${randomPassword(rng, 12)}`, 'password is required', `x = {token: t, passwd: "${randomPassword(rng, 14)}"}`,
    ];
    const text = lines.join('\n');
    const strip = (fs: { ruleId: string; line: number; column: number; secret: string }[]) => fs.map((f) => `${f.ruleId}:${f.line}:${f.column}:${f.secret}`);
    const gated = strip(createScanner(cfg).scanFragment({ path: 'a.ts', text }));
    assert.ok(gated.length >= 5, gated.join(' '));
    assert.deepEqual(gated, strip(createScanner(ungated).scanFragment({ path: 'a.ts', text })));
  });

  it('reports path-only rules and skips globally allowlisted paths', () => {
    assert.equal(scanner.isPathAllowed('node_modules/x/index.js'), true);
    assert.equal(scanner.isPathAllowed('package-lock.json'), true);
    assert.equal(scanner.isPathAllowed('src/index.js'), false);
    assert.equal(scanner.scanPath('deploy/keystore.pfx')[0]?.ruleId, 'pkcs12-file');
  });
});
