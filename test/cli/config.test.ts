import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_ADDRESS, envBool, parseTimeout, readTokenFile, resolveConfig, tokenFilePath, writeTokenFile } from '../../src/cli/config.js';

const home = mkdtempSync(join(tmpdir(), 'coffer-home-'));
const emptyHome = mkdtempSync(join(tmpdir(), 'coffer-home-empty-'));
after(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(emptyHome, { recursive: true, force: true });
});

describe('address resolution', () => {
  it('prefers -address, then COFFER_ADDR, then VAULT_ADDR, then the default', () => {
    assert.equal(resolveConfig({}, emptyHome).address, DEFAULT_ADDRESS);
    assert.equal(DEFAULT_ADDRESS, 'https://127.0.0.1:8200');
    assert.equal(resolveConfig({ VAULT_ADDR: 'http://v:1' }, emptyHome).address, 'http://v:1');
    assert.equal(resolveConfig({ VAULT_ADDR: 'http://v:1', COFFER_ADDR: 'http://c:2' }, emptyHome).address, 'http://c:2');
    assert.equal(resolveConfig({ COFFER_ADDR: 'http://c:2' }, emptyHome, { address: 'http://f:3' }).address, 'http://f:3');
    assert.equal(resolveConfig({ COFFER_ADDR: '  ', VAULT_ADDR: 'http://v:1' }, emptyHome).address, 'http://v:1');
  });
});

describe('token resolution', () => {
  it('prefers COFFER_TOKEN, then VAULT_TOKEN, then ~/.vault-token', () => {
    writeFileSync(join(home, '.vault-token'), 'hvs.fromfile\n');
    assert.deepEqual([resolveConfig({}, home).token, resolveConfig({}, home).tokenSource], ['hvs.fromfile', 'token file']);
    assert.equal(resolveConfig({ VAULT_TOKEN: 'hvs.vault' }, home).token, 'hvs.vault');
    assert.equal(resolveConfig({ VAULT_TOKEN: 'hvs.vault', COFFER_TOKEN: 'hvs.coffer' }, home).token, 'hvs.coffer');
    assert.equal(resolveConfig({ COFFER_TOKEN: 'hvs.coffer' }, home).tokenSource, 'COFFER_TOKEN');
  });

  it('has no token without env or file', () => {
    const c = resolveConfig({}, emptyHome);
    assert.equal(c.token, undefined);
    assert.equal(c.tokenSource, 'none');
    assert.equal(readTokenFile(emptyHome), undefined);
  });

  it('writes ~/.vault-token with mode 0600, replacing a looser file', () => {
    const path = tokenFilePath(home);
    writeFileSync(path, 'old', { mode: 0o644 });
    writeTokenFile(home, 'hvs.new');
    assert.equal(readFileSync(path, 'utf8'), 'hvs.new');
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });
});

describe('TLS, namespace and timeout settings', () => {
  it('reads CA certificates and skip-verify from COFFER_* then VAULT_*', () => {
    assert.equal(resolveConfig({ VAULT_CACERT: '/v.pem', COFFER_CACERT: '/c.pem' }, emptyHome).caCert, '/c.pem');
    assert.equal(resolveConfig({ VAULT_CACERT: '/v.pem' }, emptyHome).caCert, '/v.pem');
    assert.equal(resolveConfig({ VAULT_CACERT: '/v.pem' }, emptyHome, { caCert: '/f.pem' }).caCert, '/f.pem');
    assert.equal(resolveConfig({ VAULT_SKIP_VERIFY: 'true' }, emptyHome).insecure, true);
    assert.equal(resolveConfig({ VAULT_SKIP_VERIFY: '0' }, emptyHome).insecure, false);
    assert.equal(resolveConfig({}, emptyHome, { tlsSkipVerify: true }).insecure, true);
    assert.equal(resolveConfig({ VAULT_NAMESPACE: 'team/' }, emptyHome).namespace, 'team/');
  });

  it('parses booleans and timeouts leniently', () => {
    assert.equal(envBool('1'), true);
    assert.equal(envBool('TRUE'), true);
    assert.equal(envBool('no'), false);
    assert.equal(envBool(undefined), false);
    assert.equal(parseTimeout('30'), 30_000);
    assert.equal(parseTimeout('2m'), 120_000);
    assert.equal(parseTimeout('bogus'), undefined);
  });
});
