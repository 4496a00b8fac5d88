// `coffer scan DIR` end to end: exit codes, redaction, formats, .gitignore, binaries, size limit,
// allowlists, config errors, baseline workflow, stdin, worker threads.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { createRng, githubStyleBody, randomPassword } from './token-gen.js';
import { REPO_ROOT, runScanCli, tempDir } from './helpers.js';

const rng = createRng(2024);
const ghToken = `ghp_${githubStyleBody(rng)}`;
const npmToken = `npm_${githubStyleBody(rng)}`;
const password = randomPassword(rng, 18);

describe('coffer scan DIR', () => {
  const tmp = tempDir();
  const dir = tmp.path;
  before(() => {
    mkdirSync(join(dir, 'src'));
    mkdirSync(join(dir, 'build'));
    writeFileSync(join(dir, 'src/config.ts'), `export const config = {\n  token: "${ghToken}",\n};\n`);
    writeFileSync(join(dir, 'src/clean.ts'), 'export const answer = 42;\n');
    writeFileSync(join(dir, '.gitignore'), 'build/\n*.log\n[unclosed\n');
    writeFileSync(join(dir, 'build/out.js'), `var t = "${npmToken}";\n`);
    writeFileSync(join(dir, 'debug.log'), `password = "${password}"\n`);
    writeFileSync(join(dir, 'image.dat'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1, 2, 3]));
    writeFileSync(join(dir, 'big.txt'), `password = "${password}"\n` + 'x'.repeat(300 * 1024));
    writeFileSync(join(dir, 'invalid-utf8.txt'), Buffer.concat([Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(`\nnpm = ${npmToken}\n`)]));
  });
  after(() => tmp.cleanup());

  it('exits 1 with redacted findings, honours .gitignore, skips binaries and big files saying so', () => {
    const r = runScanCli([dir, '--max-file-size', '200k']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /github-pat/);
    assert.match(r.stdout, /src\/config\.ts:2:11/);
    assert.match(r.stdout, /invalid-utf8\.txt:2/);
    assert.ok(!r.stdout.includes(ghToken), 'secret must be redacted');
    assert.ok(!r.stdout.includes(ghToken.slice(4)), 'secret must be redacted');
    assert.ok(!r.stdout.includes('build/out.js'), 'gitignored directory must be skipped');
    assert.ok(!r.stdout.includes('debug.log'), 'gitignored file must be skipped');
    assert.match(r.stderr, /skipped big\.txt: 300\.\d KiB is over the 200\.0 KiB limit/);
    assert.match(r.stderr, /skipped 1 binary file/);
  });

  it('shows the secret only with --no-redact', () => {
    const r = runScanCli([dir, '--no-redact', '-f', 'json']);
    assert.equal(r.code, 1);
    const findings = JSON.parse(r.stdout) as { secret: string }[];
    assert.ok(findings.some((f) => f.secret === ghToken));
  });

  it('scans ignored files with --no-gitignore', () => {
    const r = runScanCli([dir, '--no-gitignore', '-f', 'json', '-q']);
    const files = (JSON.parse(r.stdout) as { file: string }[]).map((f) => f.file);
    assert.ok(files.includes('build/out.js'));
    assert.ok(files.includes('debug.log'));
  });

  it('exits 0 on a clean tree and 2 on a missing one', () => {
    const clean = runScanCli([join(dir, 'src/clean.ts')]);
    assert.equal(clean.code, 0, clean.stderr);
    assert.match(clean.stderr, /no secrets found/);
    const missing = runScanCli([join(dir, 'nope')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^coffer: error: .*no such file or directory/m);
  });

  it('writes SARIF 2.1.0 that validates against the schema', () => {
    const out = join(dir, 'report.sarif');
    const r = runScanCli([dir, '-f', 'sarif', '-o', out]);
    assert.equal(r.code, 1, 'findings still fail the run when a report file is written');
    const log = JSON.parse(readFileSync(out, 'utf8')) as { runs: { results: unknown[]; tool: { driver: { rules: unknown[] } } }[] };
    const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'test/scan/sarif-2.1.0.trimmed.schema.json'), 'utf8')) as object;
    const ajv = new Ajv({ allErrors: true, strict: false });
    ajv.addFormat('uri', (s: string) => URL.canParse(s));
    ajv.addFormat('uri-reference', (s: string) => !/\s/.test(s) && URL.canParse(s, 'file:///'));
    const validate = ajv.compile(schema);
    assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
    assert.ok(log.runs[0]!.results.length >= 2);
    assert.ok(log.runs[0]!.tool.driver.rules.length >= 150);
    assert.ok(!readFileSync(out, 'utf8').includes(ghToken));
  });

  it('writes JUnit XML', () => {
    const r = runScanCli([dir, '-f', 'junit']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^<\?xml/);
    assert.match(r.stdout, /<failure type="github-pat"/);
  });

  it('accepts baselined findings and still fails on new ones', () => {
    const baseline = join(dir, 'baseline.json');
    const w = runScanCli([dir, '--baseline-out', baseline]);
    assert.equal(w.code, 0, w.stderr);
    assert.ok(!readFileSync(baseline, 'utf8').includes(ghToken));
    const quiet = runScanCli([dir, '--baseline', baseline]);
    assert.equal(quiet.code, 0, quiet.stdout);
    assert.match(quiet.stderr, /accepted by the baseline/);
    // The same file gains a new secret: only that one is reported.
    const extra = `stripe = "sk_live_${githubStyleBody(rng)}"\n`;
    writeFileSync(join(dir, 'src/new.ts'), extra);
    const again = runScanCli([dir, '--baseline', baseline, '-f', 'json']);
    assert.equal(again.code, 1);
    assert.deepEqual((JSON.parse(again.stdout) as { ruleId: string }[]).map((f) => f.ruleId), ['stripe-secret-key']);
  });

  it('reports a malformed rules file with its line number and exits 2', () => {
    const cfg = join(dir, 'bad.toml');
    writeFileSync(cfg, '[extend]\nuseDefault = true\n\n[[rules]]\nid = "x"\nregex = """unterminated\n');
    const r = runScanCli([dir, '-c', cfg]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^coffer: error: .*bad\.toml:6: /m);
    assert.match(r.stderr, /^hint: /m);
  });

  it('loads .coffer-scan.toml from the target with a path allowlist', () => {
    const sub = join(dir, 'project');
    mkdirSync(join(sub, 'fixtures'), { recursive: true });
    writeFileSync(join(sub, 'fixtures/token.txt'), `t = ${ghToken}\n`);
    writeFileSync(join(sub, 'main.txt'), `t = ${ghToken}\n`);
    writeFileSync(join(sub, '.coffer-scan.toml'), "[extend]\nuseDefault = true\n[[allowlists]]\npaths = ['''^fixtures/''']\n");
    const r = runScanCli([sub, '-f', 'json', '-q']);
    assert.equal(r.code, 1);
    assert.deepEqual((JSON.parse(r.stdout) as { file: string }[]).map((f) => f.file), ['main.txt']);
  });

  it('rejects bad flags with exit 2 and a hint', () => {
    const r = runScanCli(['--format', 'xml']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^coffer: error: /m);
    assert.equal(runScanCli(['--since', 'HEAD~1', dir]).code, 2);
    assert.equal(runScanCli(['--help']).code, 0);
  });
});

describe('coffer scan --stdin', () => {
  it('scans standard input under the given name', () => {
    const r = runScanCli(['--stdin', '--stdin-name', 'paste.txt', '-f', 'json', '-q'], { input: `DEPLOY_TOKEN=${npmToken}\n` });
    assert.equal(r.code, 1);
    const [f] = JSON.parse(r.stdout) as { file: string; ruleId: string; line: number }[];
    assert.deepEqual([f!.file, f!.ruleId, f!.line], ['paste.txt', 'npm-access-token', 1]);
  });
  it('is clean on clean input and skips binary input', () => {
    assert.equal(runScanCli(['--stdin'], { input: 'hello\n' }).code, 0);
    const bin = runScanCli(['--stdin'], { input: Buffer.from([1, 0, 2]) });
    assert.equal(bin.code, 0);
    assert.match(bin.stderr, /binary/);
  });
});

describe('worker threads', () => {
  it('finds the same secrets with 2 threads as with 1 on a tree of 600 files', () => {
    const tmp = tempDir();
    try {
      for (let i = 0; i < 600; i++) {
        const body = i % 97 === 0 ? `const k = "${`ghp_${githubStyleBody(rng)}`}";\n` : `export const v${i} = ${i};\n`;
        mkdirSync(join(tmp.path, `m${i % 10}`), { recursive: true });
        writeFileSync(join(tmp.path, `m${i % 10}`, `f${i}.ts`), body);
      }
      const one = runScanCli([tmp.path, '--threads', '1', '-f', 'json', '-q']);
      const two = runScanCli([tmp.path, '--threads', '2', '-f', 'json', '-q']);
      assert.equal(one.code, 1);
      assert.equal(two.code, 1);
      assert.equal((JSON.parse(one.stdout) as unknown[]).length, 7);
      assert.deepEqual(JSON.parse(two.stdout), JSON.parse(one.stdout));
    } finally {
      tmp.cleanup();
    }
  });
});
