// Benchmark for `coffer scan` against secretlint (npm) on the same generated data, in one run:
//  1. a ≥200 MB tree of realistic source files with planted secrets and hard negatives;
//  2. a 10,000-commit git repository where secrets are added and later removed.
// Reports wall time, MB/s, recall and precision against the planted labels for both tools.
// Generated data lives in bench/.work/ (gitignored). Run: npm run build && node dist/bench/scan.js
// Options: --mb N (corpus size, default 200), --commits N (default 10000), --skip-history, --skip-dir,
// --reuse-corpus (scan the corpus a previous run generated, with its saved labels).
import { spawnSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, readFileSync, existsSync, statSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { lintSource } from '@secretlint/core';
import { creator as secretlintPreset } from '@secretlint/secretlint-rule-preset-recommend';
import { createRng, githubStyleBody, jwtToken, pemBlock, randomBytes, randomChars, randomPassword, TOKEN_CLASSES, type Rng } from '../test/scan/token-gen.js';
import { COMMIT_FORMAT, createDiffParser, type FilePatch } from '../src/scan/sources/diff.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WORK = join(ROOT, 'bench/.work');
const SCAN_MAIN = join(ROOT, 'dist/src/cli/scan-main.js');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const TARGET_MB = arg('--mb', 200);
const COMMITS = arg('--commits', 10000);

// ---------- generation ------------------------------------------------------------------------

interface Label { file: string; line: number; endLine: number; kind: string; commit?: number }

const A = TOKEN_CLASSES;
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const WORDS = ['user', 'order', 'item', 'cart', 'invoice', 'account', 'session', 'payment', 'report', 'config', 'cache', 'queue', 'event', 'stream', 'buffer', 'record', 'entry', 'client', 'server', 'request', 'response', 'handler', 'router', 'model', 'view', 'store', 'state', 'node', 'tree', 'graph', 'path', 'file', 'token', 'key', 'secret', 'password', 'auth', 'credential'];
const ident = (rng: Rng) => pick(rng, WORDS) + pick(rng, ['', 'Id', 'Name', 'List', 'Map', 'Count', 'Service', 'Manager', 'Options', 'Value']);

type Lang = 'ts' | 'py' | 'go' | 'yaml' | 'env' | 'json' | 'md';
const LANGS: Lang[] = ['ts', 'ts', 'ts', 'py', 'py', 'go', 'yaml', 'env', 'json', 'md'];

function fillerLine(rng: Rng, lang: Lang): string {
  const a = ident(rng), b = ident(rng), n = Math.floor(rng() * 1000);
  switch (lang) {
    case 'ts': return pick(rng, [
      `export function get${a}(${b}: string): Promise<${a}> {`, `  const ${a} = await this.${b}.find({ id: ${n} });`, `  if (!${a}) throw new Error('${a} not found');`,
      `  return ${b}.map((x) => x.${a}).filter(Boolean);`, '}', `// ${a} handles ${b} updates for the ${pick(rng, WORDS)} module`, `import { ${a} } from './${b}.js';`,
      `const tokenizer = createTokenizer({ maxLength: ${n} });`, `  headers['X-Api-Key'] = options.apiKey;`, `  if (!password) throw new Error('password is required');`,
      `  const secretName = \`\${prefix}-${a}\`;`, `  key: item.key, value: item.${b},`, `type ${a}Options = { token?: string; timeout: number };`, `  this.${a} = process.env.${b.toUpperCase()}_TOKEN;`,
      `  logger.debug({ ${a}, ${b} }, 'processing');`, `  for (const ${a} of ${b}) total += ${a}.amount * ${n};`, '',
    ]);
    case 'py': return pick(rng, [
      `def get_${a}(self, ${b}_id: int) -> "${a}":`, `    ${a} = self.session.query(${b}).filter_by(id=${n}).first()`, `    if ${a} is None:`, `        raise ValueError("${a} not found")`,
      `    return [x.${b} for x in ${a}]`, `# ${a}: see ${b} for details`, `from .${b} import ${a}`, `    password = os.environ["${a.toUpperCase()}_PASSWORD"]`, `    token = request.headers.get("Authorization")`,
      `    secret_key = settings.SECRET_KEY`, `class ${a}(BaseModel):`, `    ${b}: Optional[str] = None`, '',
    ]);
    case 'go': return pick(rng, [
      `func (s *${a}Service) Get${b}(ctx context.Context, id int64) (*${a}, error) {`, `	${a}, err := s.repo.Find(ctx, ${n})`, '	if err != nil {', `		return nil, fmt.Errorf("get ${a}: %w", err)`, '	}',
      `	return &${a}{ID: id, Name: ${b}.Name}, nil`, '}', `// ${a} is the ${b} handler.`, `	token := r.Header.Get("Authorization")`, `	Password string \`json:"password"\``, '',
    ]);
    case 'yaml': return pick(rng, [`${a}:`, `  ${b}: ${n}`, `  name: ${a}-${b}`, `  image: registry.example.net/${a}:${n}.0.1`, `  secretName: ${a}-credentials`, `  password: \${${a.toUpperCase()}_PASSWORD}`, `  replicas: ${n % 5}`, `# ${a} settings`, '']);
    case 'env': return pick(rng, [`${a.toUpperCase()}_URL=https://${b}.example.net/api`, `${a.toUpperCase()}_TIMEOUT=${n}`, `# ${a} settings`, `${a.toUpperCase()}_ENABLED=true`, `${a.toUpperCase()}_TOKEN=`, '']);
    case 'json': return pick(rng, [`  "${a}": ${n},`, `  "${b}": "${a}-${n}",`, `  "id": "${randomChars(rng, A.hex!, 8)}-${randomChars(rng, A.hex!, 4)}-4${randomChars(rng, A.hex!, 3)}-a${randomChars(rng, A.hex!, 3)}-${randomChars(rng, A.hex!, 12)}",`, `  "enabled": ${rng() < 0.5},`, `  "tokenUrl": "https://auth.example.net/oauth/token",`]);
    case 'md': return pick(rng, [`## ${a}`, `The ${a} service stores ${b} records and exposes them over HTTP.`, `Set \`${a.toUpperCase()}_TOKEN\` to your token before running.`, `- ${b}: ${n}`, '```bash', 'npm install', '```', '']);
  }
}

const HARD_NEGATIVES: ((rng: Rng) => string)[] = [
  () => 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE',
  () => 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  () => 'password = "changeme"',
  () => 'DB_PASSWORD=${DB_PASSWORD}',
  () => 'password: <password>',
  () => 'api_key: "YOUR_API_KEY_HERE"',
  (r) => { const b = githubStyleBody(r); return `GITHUB_TOKEN=ghp_${b.slice(0, 30)}${b.slice(30) === '000000' ? '000001' : '000000'}`; },
  () => 'STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx',
  (r) => `request_id = "${randomChars(r, A.hex!, 8)}-${randomChars(r, A.hex!, 4)}-4${randomChars(r, A.hex!, 3)}-b${randomChars(r, A.hex!, 3)}-${randomChars(r, A.hex!, 12)}"`,
  (r) => `checksum: ${randomChars(r, A.hex!, 64)}`,
  (r) => `commit ${randomChars(r, A.hex!, 40)}`,
  (r) => `<img src="data:image/png;base64,${randomBytes(r, 240).toString('base64')}" alt="logo">`,
  (r) => `"integrity": "sha512-${randomBytes(r, 64).toString('base64')}",`,
  () => 'token = os.environ["API_TOKEN"]',
  () => 'const fakeToken = "test-token-123";',
  () => 'postgres://user:password@localhost:5432/app',
  () => 'Authorization: Bearer ${ACCESS_TOKEN}',
  () => 'secret_key = settings.SECRET_KEY',
  (r) => `sha1sum = "${randomChars(r, A.hex!, 40)}"`,
];

interface Plant { lines: string[]; kind: string; labeled: number[] } // labeled: indexes into lines that are positive

const PLANTS: ((rng: Rng) => Plant)[] = [
  (r) => ({ kind: 'aws-pair', lines: [`aws_access_key_id = AKIA${randomChars(r, A.b32!, 16)}`, `aws_secret_access_key = ${randomChars(r, A.b64!, 40)}`], labeled: [0, 1] }),
  (r) => ({ kind: 'github-pat', lines: [`GITHUB_TOKEN=ghp_${githubStyleBody(r)}`], labeled: [0] }),
  (r) => ({ kind: 'gitlab-pat', lines: [`gitlab_token: "glpat-${randomChars(r, A.b64url!, 20)}"`], labeled: [0] }),
  (r) => ({ kind: 'slack-bot', lines: [`SLACK_BOT_TOKEN=xoxb-${randomChars(r, A.digit!, 12)}-${randomChars(r, A.digit!, 13)}-${randomChars(r, A.alnum!, 24)}`], labeled: [0] }),
  (r) => ({ kind: 'slack-webhook', lines: [`webhook: "https://hooks.slack.com/services/T${randomChars(r, A.uppernum!, 10)}/B${randomChars(r, A.uppernum!, 10)}/${randomChars(r, A.alnum!, 24)}"`], labeled: [0] }),
  (r) => ({ kind: 'sendgrid', lines: [`SENDGRID_API_KEY = "SG.${randomChars(r, A.b64url!, 22)}.${randomChars(r, A.b64url!, 43)}"`], labeled: [0] }),
  (r) => ({ kind: 'stripe', lines: [`stripe.api_key = "sk_live_${randomChars(r, A.alnum!, 24)}"`], labeled: [0] }),
  (r) => ({ kind: 'openai', lines: [`OPENAI_API_KEY=sk-proj-${randomChars(r, A.b64url!, 58)}T3BlbkFJ${randomChars(r, A.b64url!, 58)}`], labeled: [0] }),
  (r) => ({ kind: 'anthropic', lines: [`const anthropicKey = "sk-ant-api03-${randomChars(r, A.b64url!, 93)}AA";`], labeled: [0] }),
  (r) => ({ kind: 'npm', lines: [`//registry.npmjs.org/:_authToken=npm_${githubStyleBody(r)}`], labeled: [0] }),
  (r) => ({ kind: 'shopify', lines: [`SHOPIFY_ACCESS_TOKEN: shpat_${randomChars(r, A.hex!, 32)}`], labeled: [0] }),
  (r) => ({ kind: 'rsa-private-key', lines: pemBlock(r, 'RSA PRIVATE KEY').split('\n'), labeled: [0] }),
  (r) => ({ kind: 'postgres-url', lines: [`DATABASE_URL=postgres://app:${randomPassword(r, 20)}@db.internal.example.net:5432/app`], labeled: [0] }),
  (r) => ({ kind: 'basic-auth-url', lines: [`  url: "https://deploy:${randomPassword(r, 20)}@git.example.net/team/repo.git"`], labeled: [0] }),
  (r) => ({ kind: 'generic-password', lines: [`db_password = "${randomPassword(r, 16)}"`], labeled: [0] }),
  (r) => ({ kind: 'jwt', lines: [`Authorization: Bearer ${jwtToken(r)}`], labeled: [0] }),
  (r) => ({ kind: 'gcp-service-account', lines: ['{', '  "type": "service_account",', '  "project_id": "demo-prod",', `  "private_key_id": "${randomChars(r, A.hex!, 40)}",`, `  "private_key": "-----BEGIN PRIVATE KEY-----\\n${randomBytes(r, 600).toString('base64').match(/.{1,64}/g)!.join('\\n')}\\n-----END PRIVATE KEY-----\\n",`, '  "client_email": "svc@demo-prod.iam.gserviceaccount.com"', '}'], labeled: [0] }),
];

const EXT: Record<Lang, string> = { ts: 'ts', py: 'py', go: 'go', yaml: 'yaml', env: 'env', json: 'json', md: 'md' };

function generateFile(rng: Rng, lang: Lang, targetBytes: number, labels: Label[], file: string, plantSecret: boolean, plantNegative: boolean, commit?: number): string {
  const lines: string[] = [];
  let bytes = 0;
  while (bytes < targetBytes) {
    const l = fillerLine(rng, lang);
    lines.push(l);
    bytes += l.length + 1;
  }
  if (plantNegative) lines.splice(Math.floor(rng() * lines.length), 0, pick(rng, HARD_NEGATIVES)(rng));
  if (plantSecret) {
    const p = pick(rng, PLANTS)(rng);
    const at = Math.floor(rng() * lines.length);
    lines.splice(at, 0, ...p.lines);
    // Lines shift later if another plant goes above; there is only one per file.
    for (const i of p.labeled) {
      const label: Label = { file, line: at + i + 1, endLine: p.kind === 'aws-pair' ? at + i + 1 : at + p.lines.length, kind: p.kind };
      if (commit !== undefined) label.commit = commit;
      labels.push(label);
    }
  }
  return lines.join('\n') + '\n';
}

function generateCorpus(dir: string, targetMb: number): { labels: Label[]; bytes: number; files: number } {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const rng = createRng(20240611);
  const labels: Label[] = [];
  let bytes = 0, files = 0;
  const target = targetMb * 1e6;
  while (bytes < target) {
    const lang = pick(rng, LANGS);
    const sub = `pkg${files % 97}/${pick(rng, ['src', 'lib', 'config', 'internal', 'docs'])}`;
    const file = `${sub}/${ident(rng)}_${files}.${EXT[lang]}`;
    mkdirSync(join(dir, sub), { recursive: true });
    let text: string;
    if (files % 2000 === 1999) {
      // a minified one-line bundle with keyword-dense code
      text = Array.from({ length: 20000 }, (_, i) => `var k${i}={key:"k${i}",token:t${i},password:p${i}};`).join('') + '\n';
    } else {
      text = generateFile(rng, lang, 12000 + Math.floor(rng() * 30000), labels, file, rng() < 0.12, rng() < 0.25);
    }
    writeFileSync(join(dir, file), text);
    bytes += Buffer.byteLength(text);
    files++;
  }
  return { labels, bytes, files };
}

function generateHistory(dir: string, commits: number): { labels: Label[] } {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  spawnSync('git', ['init', '-q', '-b', 'main', dir], { env });
  const rng = createRng(99);
  const labels: Label[] = [];
  const chunks: string[] = [];
  const authors = ['Ada Tester <ada@example.test>', 'Bo Dev <bo@example.test>', 'Cy Ops <cy@example.test>'];
  let leaked: string | undefined; // path holding a secret, cleaned up in the next commit
  for (let i = 0; i < commits; i++) {
    const lang = pick(rng, ['ts', 'py', 'go', 'yaml', 'env'] as Lang[]);
    const path = leaked ?? `svc${i % 40}/${pick(rng, ['src', 'config'])}/mod${i % 250}.${EXT[lang]}`;
    const plant = leaked === undefined && rng() < 0.02;
    const content = generateFile(rng, lang, 1500 + Math.floor(rng() * 2500), labels, path, plant, rng() < 0.05, i);
    leaked = plant ? path : undefined;
    const msg = plant ? `update ${path}` : `change ${i}`;
    const when = 1700000000 + i * 600;
    const author = pick(rng, authors);
    chunks.push(`commit refs/heads/main\nauthor ${author} ${when} +0000\ncommitter ${author} ${when} +0000\ndata ${Buffer.byteLength(msg)}\n${msg}\nM 100644 inline ${path}\ndata ${Buffer.byteLength(content)}\n${content}\n`);
  }
  const r = spawnSync('git', ['fast-import', '--quiet'], { cwd: dir, input: chunks.join(''), env, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`fast-import failed: ${r.stderr}`);
  spawnSync('git', ['checkout', '-q', '-f', 'main'], { cwd: dir, env });
  return { labels };
}

// ---------- scoring ---------------------------------------------------------------------------

interface Hit { file: string; line: number; commit?: number }
interface Score { recall: number; precision: number; tp: number; fn: number; fp: number; findings: number; byKind: Record<string, [number, number]> }

function score(labels: Label[], hits: Hit[]): Score {
  const key = (f: string, c?: number) => `${c ?? ''}\0${f}`;
  const byFile = new Map<string, Label[]>();
  for (const l of labels) {
    const k = key(l.file, l.commit);
    (byFile.get(k) ?? byFile.set(k, []).get(k)!).push(l);
  }
  const uniq = new Map<string, Hit>();
  for (const h of hits) uniq.set(`${key(h.file, h.commit)}\0${h.line}`, h);
  const found = new Set<Label>();
  let fp = 0;
  for (const h of uniq.values()) {
    const ls = byFile.get(key(h.file, h.commit)) ?? [];
    const match = ls.filter((l) => h.line >= l.line && h.line <= l.endLine);
    if (match.length === 0) fp++;
    for (const m of match) found.add(m);
  }
  const byKind: Record<string, [number, number]> = {};
  for (const l of labels) {
    const e = (byKind[l.kind] ??= [0, 0]);
    e[1]++;
    if (found.has(l)) e[0]++;
  }
  const tp = found.size;
  const findings = uniq.size;
  return { recall: labels.length ? tp / labels.length : 1, precision: findings ? (findings - fp) / findings : 1, tp, fn: labels.length - tp, fp, findings, byKind };
}

// ---------- runners ---------------------------------------------------------------------------

function runCoffer(args: string[], out: string): { ms: number; hits: Hit[]; raw: { file: string; line: number; commit?: string }[] } {
  const script = `import(${JSON.stringify(SCAN_MAIN)}).then(m=>m.main(process.argv.slice(1))).then(c=>process.exit(c))`;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['-e', script, '--', ...args, '-f', 'json', '-o', out, '-q', '--no-progress'], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  const ms = performance.now() - t0;
  if (r.status !== 0 && r.status !== 1) throw new Error(`coffer scan failed (${r.status}): ${r.stderr}`);
  const raw = JSON.parse(readFileSync(out, 'utf8')) as { file: string; line: number; commit?: string }[];
  return { ms, hits: raw.map((f) => ({ file: f.file, line: f.line })), raw };
}

const SECRETLINT_CONFIG = { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: secretlintPreset }] };

async function secretlintText(filePath: string, content: string): Promise<number[]> {
  const r = await lintSource({ source: { filePath, content, contentType: 'text' }, options: { config: SECRETLINT_CONFIG as never, maskSecrets: true } });
  return r.messages.filter((m) => m.type === 'message').map((m) => m.loc.start.line);
}

function listTree(dir: string, rel = '', out: string[] = []): string[] {
  const r = spawnSync('find', [dir, '-type', 'f'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  for (const p of r.stdout.split('\n')) if (p) out.push(p.slice(dir.length + 1));
  return rel === '' ? out.sort() : out;
}

async function runSecretlintDir(dir: string): Promise<{ ms: number; hits: Hit[] }> {
  const t0 = performance.now();
  const files = listTree(dir);
  const hits: Hit[] = [];
  for (const f of files) {
    const content = readFileSync(join(dir, f), 'utf8');
    for (const line of await secretlintText(join(dir, f), content)) hits.push({ file: f, line });
  }
  return { ms: performance.now() - t0, hits };
}

async function runSecretlintHistory(repo: string, shaIndex: Map<string, number>): Promise<{ ms: number; hits: Hit[]; patchBytes: number }> {
  const t0 = performance.now();
  const hits: Hit[] = [];
  let patchBytes = 0;
  const child = spawn('git', ['log', '--reverse', '-p', '-U0', '--no-color', '--full-index', '--no-renames', '--diff-filter=AM', COMMIT_FORMAT], { cwd: repo });
  const patches: FilePatch[] = [];
  const parser = createDiffParser((p) => patches.push(p), 1 << 30);
  for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) parser.push(line);
  parser.end();
  for (const p of patches) {
    if (p.binary || p.addedLines.length === 0) continue;
    const text = p.addedLines.join('\n');
    patchBytes += text.length;
    for (const line of await secretlintText(`/repo/${p.path}`, text)) {
      hits.push({ file: p.path, line: p.lineMap[line - 1] ?? line, commit: shaIndex.get(p.commit?.commit ?? '') ?? -1 });
    }
  }
  return { ms: performance.now() - t0, hits, patchBytes };
}

// ---------- main ------------------------------------------------------------------------------

function fmt(n: number, d = 1): string {
  return n.toFixed(d);
}

async function main(): Promise<void> {
  if (!existsSync(SCAN_MAIN)) throw new Error('run `npm run build` first');
  mkdirSync(WORK, { recursive: true });
  const results: Record<string, unknown> = {
    machine: { cpus: cpus().length, model: cpus()[0]?.model, parallelism: availableParallelism(), node: process.version },
    tools: { coffer: JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version, secretlint: JSON.parse(readFileSync(join(ROOT, 'node_modules/@secretlint/core/package.json'), 'utf8')).version },
  };
  const lines: string[] = [];
  if (!process.argv.includes('--skip-dir')) {
    const dir = join(WORK, 'scan-corpus');
    const g0 = performance.now();
    // --reuse-corpus: the generator is deterministic (fixed seed), so a corpus generated earlier with
    // the same --mb can be scanned again with its saved labels (generation takes minutes).
    const labelsFile = join(WORK, 'scan-corpus.labels.json');
    let corpus: { mb: number; labels: Label[]; bytes: number; files: number } | undefined;
    if (process.argv.includes('--reuse-corpus') && existsSync(labelsFile)) {
      const saved = JSON.parse(readFileSync(labelsFile, 'utf8')) as { mb: number; labels: Label[]; bytes: number; files: number };
      if (saved.mb === TARGET_MB && existsSync(dir)) corpus = saved;
    }
    if (corpus) console.error(`reusing ${corpus.files} files, ${fmt(corpus.bytes / 1e6)} MB, ${corpus.labels.length} planted secrets`);
    else {
      corpus = { mb: TARGET_MB, ...generateCorpus(dir, TARGET_MB) };
      writeFileSync(labelsFile, JSON.stringify(corpus));
      console.error(`generated ${corpus.files} files, ${fmt(corpus.bytes / 1e6)} MB, ${corpus.labels.length} planted secrets in ${fmt((performance.now() - g0) / 1000)} s`);
    }
    const { labels, bytes, files } = corpus;
    // Same starting point for every tool: the whole corpus read once (page cache warm, freshly written
    // pages flushed) before anything is timed.
    spawnSync('sync');
    for (const f of listTree(dir)) readFileSync(join(dir, f));
    const mb = bytes / 1e6;
    const cofferAll = runCoffer([dir, '--max-file-size', '50M'], join(WORK, 'coffer-dir.json'));
    const coffer1 = runCoffer([dir, '--max-file-size', '50M', '--threads', '1'], join(WORK, 'coffer-dir-1.json'));
    const sl = await runSecretlintDir(dir);
    const rows = [
      ['coffer scan (CLI, all cores)', cofferAll.ms, score(labels, cofferAll.hits)],
      ['coffer scan (CLI, --threads 1)', coffer1.ms, score(labels, coffer1.hits)],
      ['secretlint 12 core, preset-recommend (in-process)', sl.ms, score(labels, sl.hits)],
    ] as const;
    lines.push(`### Directory corpus: ${files} files, ${fmt(mb)} MB, ${labels.length} planted secrets`, '', '| tool | wall s | MB/s | recall | precision | TP | FN | FP |', '|---|---|---|---|---|---|---|---|');
    for (const [name, ms, s] of rows) lines.push(`| ${name} | ${fmt(ms / 1000, 2)} | ${fmt(mb / (ms / 1000))} | ${fmt(s.recall, 3)} | ${fmt(s.precision, 3)} | ${s.tp} | ${s.fn} | ${s.fp} |`);
    lines.push('', `Throughput ratio coffer (all cores) / secretlint: ${fmt(sl.ms / cofferAll.ms)}x; single thread: ${fmt(sl.ms / coffer1.ms)}x`, '');
    lines.push('Recall by planted kind (coffer / secretlint):', '');
    const ck = rows[0][2].byKind, sk = rows[2][2].byKind;
    for (const k of Object.keys(ck).sort()) lines.push(`- ${k}: ${ck[k]![0]}/${ck[k]![1]} vs ${sk[k]?.[0] ?? 0}/${ck[k]![1]}`);
    lines.push('');
    results.dir = { files, mb, labels: labels.length, coffer: { ms: cofferAll.ms, ...rows[0][2] }, coffer1: { ms: coffer1.ms, ...rows[1][2] }, secretlint: { ms: sl.ms, ...rows[2][2] } };
    if (process.argv.includes('--show-fp')) {
      const labelled = new Set(labels.map((l) => `${l.file}:${l.line}`));
      for (const f of cofferAll.raw) if (!labelled.has(`${f.file}:${f.line}`)) console.error('FP?', JSON.stringify(f).slice(0, 300));
    }
  }
  if (!process.argv.includes('--skip-history')) {
    const repo = join(WORK, 'scan-history');
    const g0 = performance.now();
    const { labels } = generateHistory(repo, COMMITS);
    const shas = spawnSync('git', ['rev-list', '--reverse', 'HEAD'], { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 28 }).stdout.trim().split('\n');
    const shaIndex = new Map(shas.map((s, i) => [s, i]));
    console.error(`generated ${shas.length} commits, ${labels.length} planted secrets in ${fmt((performance.now() - g0) / 1000)} s (repo ${fmt(dirSize(repo) / 1e6)} MB on disk)`);
    const c = runCoffer(['--git', repo], join(WORK, 'coffer-git.json'));
    const cHits: Hit[] = c.raw.map((f) => ({ file: f.file, line: f.line, commit: shaIndex.get(f.commit ?? '') ?? -1 }));
    const sl = await runSecretlintHistory(repo, shaIndex);
    const mb = sl.patchBytes / 1e6;
    const cs = score(labels, cHits), ss = score(labels, sl.hits);
    lines.push(`### Git history: ${shas.length} commits, ${fmt(mb)} MB of added lines, ${labels.length} planted secrets (each removed in the next commit)`, '',
      '| tool | wall s | commits/s | MB/s (added lines) | recall | precision | TP | FN | FP |', '|---|---|---|---|---|---|---|---|---|',
      `| coffer scan --git (CLI) | ${fmt(c.ms / 1000, 2)} | ${fmt(shas.length / (c.ms / 1000), 0)} | ${fmt(mb / (c.ms / 1000))} | ${fmt(cs.recall, 3)} | ${fmt(cs.precision, 3)} | ${cs.tp} | ${cs.fn} | ${cs.fp} |`,
      `| secretlint 12 core on the same \`git log -p\` patches | ${fmt(sl.ms / 1000, 2)} | ${fmt(shas.length / (sl.ms / 1000), 0)} | ${fmt(mb / (sl.ms / 1000))} | ${fmt(ss.recall, 3)} | ${fmt(ss.precision, 3)} | ${ss.tp} | ${ss.fn} | ${ss.fp} |`,
      '', `Throughput ratio coffer / secretlint: ${fmt(sl.ms / c.ms)}x`, '');
    results.history = { commits: shas.length, mb, labels: labels.length, coffer: { ms: c.ms, ...cs }, secretlint: { ms: sl.ms, ...ss } };
  }
  const report = lines.join('\n');
  console.log(report);
  writeFileSync(join(WORK, 'scan-results.json'), JSON.stringify(results, null, 2));
  writeFileSync(join(WORK, 'scan-results.md'), report + '\n');
}

function dirSize(dir: string): number {
  const r = spawnSync('du', ['-sb', dir], { encoding: 'utf8' });
  return Number(r.stdout.split(/\s/)[0]) || statSync(dir).size;
}

await main();
// secretlint's profiler (a PerformanceObserver over every mark it sets) is left with a backlog that
// grows with the number of files linted and takes minutes of CPU to drain after the timed part; exit
// instead of letting it compete with whatever runs next.
process.exit(0);
