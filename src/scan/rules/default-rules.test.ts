// Every built-in rule: its generated example is found (by that rule), and the hard negatives are not.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createScanner } from '../engine.js';
import { loadDefaultConfig } from './loader.js';
import { createRng, expandTemplate, githubStyleBody, randomBytes, randomChars, TOKEN_CLASSES } from '../../../test/scan/token-gen.js';

const config = loadDefaultConfig();
const scanner = createScanner(config);

describe('built-in rules', () => {
  it('has at least 150 reported credential rules', () => {
    assert.ok(config.rules.filter((r) => !r.skipReport).length >= 150);
  });

  for (const rule of config.rules) {
    if (rule.example === undefined || rule.skipReport) continue;
    it(`${rule.id}: finds its generated example`, () => {
      for (let seed = 1; seed <= 3; seed++) {
        const text = expandTemplate(rule.example!, createRng(seed * 7919 + rule.id.length));
        const findings = scanner.scanFragment({ path: 'config/app.env', text });
        const ids = findings.map((f) => f.ruleId);
        assert.ok(ids.includes(rule.id), `seed ${seed}: expected ${rule.id} in [${ids.join(', ')}] for:\n${text}`);
      }
    });
  }

  it('pkcs12-file: reports a committed keystore by path', () => {
    assert.deepEqual(scanner.scanPath('certs/client.p12').map((f) => f.ruleId), ['pkcs12-file']);
    assert.equal(scanner.scanPath('certs/client.pem').length, 0);
  });
});

describe('hard negatives', () => {
  const rng = createRng(42);
  const ghBody = githubStyleBody(rng);
  const badChecksum = ghBody.slice(0, 30) + (ghBody.slice(30) === '000000' ? '000001' : '000000');
  const negatives: Record<string, string> = {
    'git sha and sha256': `commit ${randomChars(rng, TOKEN_CLASSES.hex!, 40)}\nsha256 = "${randomChars(rng, TOKEN_CLASSES.hex!, 64)}"`,
    'uuid ids': `request_id = "${'3f2b8c1e-9a4d-4e6f-8b2a-1c3d5e7f9a0b'}"\ntrace: 9c1e4f2a-7b3d-4a5e-9f1c-2b4d6e8f0a1c`,
    'base64 image': `<img src="data:image/png;base64,${randomBytes(rng, 300).toString('base64')}">`,
    'lockfile integrity': `"integrity": "sha512-${randomBytes(rng, 64).toString('base64')}"`,
    'placeholders': [
      'password = "changeme"', 'DB_PASSWORD=${DB_PASSWORD}', 'password: <password>', 'api_key = "xxxxxxxxxxxxxxxxxxxx"',
      'secret: "{{ .Values.secret }}"', 'token = "your_token_here"', 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE',
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'password = "********"',
      'GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', 'STRIPE_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx',
      'postgres://user:password@localhost:5432/db', 'https://user:${PASSWORD}@example.com',
    ].join('\n'),
    'code references': [
      'password = os.environ["DB_PASSWORD"]', 'const token = process.env.GITHUB_TOKEN;', 'secret_key = settings.SECRET_KEY',
      'password: string;', 'token = request.headers.get("Authorization")', 'if (password == confirmPassword) {',
      'self.api_key = api_key', 'tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")', 'password_field = "password"',
      'accessKeyId: credentials.accessKeyId,', 'const secretName = `${prefix}-secret-name`;',
    ].join('\n'),
    'github token with a wrong checksum': `token = ghp_${badChecksum}`,
    'public key and certificate': '-----BEGIN PUBLIC KEY-----\n' + randomBytes(rng, 200).toString('base64') + '\n-----END PUBLIC KEY-----\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
    'truncated private key in docs': '-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----',
    'jwt-shaped string that is not a JWT': 'eyJhbGciOiJub3QtanNvbiIs.eyJzdWIiOiJub3QtanNvbiIs.c2lnbmF0dXJl',
    'test fixture names': 'describe("rejects an invalid api token", () => { const password_min_length = 12; })',
  };
  for (const [name, text] of Object.entries(negatives)) {
    it(`${name}: no findings`, () => {
      const findings = scanner.scanFragment({ path: 'src/app.ts', text });
      assert.deepEqual(findings.map((f) => `${f.ruleId}: ${f.secret}`), []);
    });
  }
});
