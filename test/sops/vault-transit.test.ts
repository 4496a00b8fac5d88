// Vault/Coffer transit master keys against a transit engine on loopback: encrypt and decrypt
// through HTTP, VAULT_TOKEN and ~/.vault-token, VAULT_ADDR for relative URIs, key groups mixing
// transit and age, and clear failures (bad token, server down, allowlist).

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { baseEnv, cliAsync, newAgeKey, sops, tempDir } from './helpers.js';
import { type TransitServer, startTransitServer } from './transit-server.js';

const tmp = tempDir();
let server: TransitServer;
let env: NodeJS.ProcessEnv;
const TOKEN = 'hvs.test-token';

before(async () => {
  server = await startTransitServer(TOKEN);
  env = baseEnv(tmp.dir, { VAULT_TOKEN: TOKEN });
  writeFileSync(join(tmp.dir, 'v.yaml'), 'db_password: transit-protected\n');
});
after(async () => {
  await server.close();
  tmp.cleanup();
});

const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => sops(args, { env: { ...env, ...extra }, cwd: tmp.dir });

test('encrypt and decrypt with a transit key; metadata holds address, engine path and key name', async () => {
  const uri = `${server.address}/v1/transit/keys/app`;
  const r = await run(['encrypt', '--hc-vault-transit', uri, 'v.yaml']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`hc_vault:\\n {8}- created_at: "[^"]+"\\n {10}enc: vault:v1:[A-Za-z0-9+/=]+\\n {10}engine_path: transit\\n {10}key_name: app\\n {10}vault_address: ${server.address.replace(/[.]/g, '\\.')}\\n`));
  writeFileSync(join(tmp.dir, 'v.enc.yaml'), r.stdout);
  const d = await run(['decrypt', 'v.enc.yaml']);
  assert.equal(d.code, 0, d.stderr);
  assert.equal(d.stdout, 'db_password: transit-protected\n');
  assert.ok(server.requests.some((q) => q.method === 'PUT' && q.url === '/v1/transit/encrypt/app'));
  assert.ok(server.requests.some((q) => q.url === '/v1/transit/decrypt/app' && q.token === TOKEN));
});

test('token from ~/.vault-token, namespace header, relative URI with VAULT_ADDR, nested mount', async () => {
  writeFileSync(join(tmp.dir, '.vault-token'), `${TOKEN}\n`);
  const r = await run(['encrypt', '--hc-vault-transit', 'team/transit/keys/k2', 'v.yaml'], { VAULT_TOKEN: '', VAULT_ADDR: server.address, VAULT_NAMESPACE: 'ns1' });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /engine_path: team\/transit\n/);
  assert.ok(server.requests.some((q) => q.url === '/v1/team/transit/encrypt/k2' && q.namespace === 'ns1'));
  writeFileSync(join(tmp.dir, 'v2.enc.yaml'), r.stdout);
  assert.equal((await run(['decrypt', 'v2.enc.yaml'], { VAULT_TOKEN: '' })).stdout, 'db_password: transit-protected\n');
});

test('failures are listed per key: wrong token, unreachable server, allowlist', async () => {
  const bad = await run(['decrypt', 'v.enc.yaml'], { VAULT_TOKEN: 'wrong' });
  assert.equal(bad.code, 128);
  assert.match(bad.stderr, /Vault transit http:\/\/127\.0\.0\.1:\d+\/v1\/transit\/keys\/app: FAILED\n {4}- \| Vault decrypt at .* failed with HTTP 403: permission denied/);
  assert.ok(!bad.stderr.includes('wrong'), 'token echoed');
  const denied = await run(['decrypt', 'v.enc.yaml'], { SOPS_HC_VAULT_ALLOWLIST: 'https://vault.internal' });
  assert.equal(denied.code, 128);
  assert.match(denied.stderr, /not in SOPS_HC_VAULT_ALLOWLIST/);
  const enc = await run(['encrypt', '--hc-vault-transit', 'http://127.0.0.1:1/v1/transit/keys/x', 'v.yaml']);
  assert.equal(enc.code, 1);
  assert.match(enc.stderr, /Could not generate data key: \[Vault transit http:\/\/127\.0\.0\.1:1\/v1\/transit\/keys\/x: cannot reach Vault/);
  const prefixed = await run(['encrypt', '--hc-vault-transit', 'http://h:8200/prefix/v1/transit/keys/x', 'v.yaml']);
  assert.match(prefixed.stderr, /prefixed URL is not supported/);
});

test('a transit group plus an age group (threshold 2): both are needed; the real CLI works too', async () => {
  const age = await newAgeKey();
  writeFileSync(join(tmp.dir, 'age.txt'), `${age.identity}\n`);
  writeFileSync(join(tmp.dir, '.sops.yaml'), `creation_rules:\n  - key_groups:\n      - hc_vault: [${server.address}/v1/transit/keys/app]\n      - age: [${age.recipient}]\n`);
  const r = await run(['encrypt', '-i', 'v.yaml']);
  assert.equal(r.code, 0, r.stderr);
  const both = await run(['decrypt', 'v.yaml'], { SOPS_AGE_KEY_FILE: join(tmp.dir, 'age.txt') });
  assert.equal(both.stdout, 'db_password: transit-protected\n');
  const onlyAge = await run(['decrypt', 'v.yaml'], { SOPS_AGE_KEY_FILE: join(tmp.dir, 'age.txt'), VAULT_TOKEN: 'nope' });
  assert.equal(onlyAge.code, 128);
  // The real CLI in a subprocess reaches the same server and exits promptly with the right code.
  const sub = await cliAsync(['decrypt', 'v.yaml'], { env: { ...env, SOPS_AGE_KEY_FILE: join(tmp.dir, 'age.txt') }, cwd: tmp.dir });
  assert.equal(sub.code, 0, sub.stderr);
  assert.equal(sub.stdout, 'db_password: transit-protected\n');
});
