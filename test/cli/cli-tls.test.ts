// End-to-end over TLS: the CLI verifies the server certificate with COFFER_CACERT / VAULT_CACERT /
// -ca-cert, refuses an unknown certificate with a hint, honours VAULT_SKIP_VERIFY, and explains a
// scheme mismatch. The fixture is a throw-away self-signed certificate for 127.0.0.1, valid for
// 100 years, used by nothing else.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger, startServer, type StartedServer } from '../../src/server/start.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { ROOT, runCli } from './run-cli.js';

const CERT = join(ROOT, 'test', 'cli', 'fixtures', 'test-only-localhost.crt');
const KEY = join(ROOT, 'test', 'cli', 'fixtures', 'test-only-localhost.key');

let tls: StartedServer;
let plain: TestServer;
let home: string;

before(async () => {
  tls = await startServer(
    { storage: { type: 'memory' }, listeners: [{ address: '127.0.0.1:0', tlsDisable: false, tlsCertFile: CERT, tlsKeyFile: KEY }], ui: false, logLevel: 'silent' },
    createLogger('silent'),
  );
  plain = await startTestServer({ uninitialized: true });
  home = mkdtempSync(join(tmpdir(), 'coffer-cli-tls-'));
});

after(async () => {
  await tls?.stop();
  await plain?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

const run = (args: string[], env: Record<string, string>) => runCli(args, { env: { HOME: home, ...env } });

describe('coffer over TLS', () => {
  it('serves https on the listener', () => {
    assert.match(tls.address, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses an unverified certificate and says how to trust it', async () => {
    const r = await run(['operator', 'init', '-status'], { COFFER_ADDR: tls.address });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^coffer: error: cannot talk to the server at https:/);
    assert.match(r.stderr, /^hint: set COFFER_CACERT \(or VAULT_CACERT\)/m);
  });

  it('verifies with COFFER_CACERT, VAULT_CACERT or -ca-cert', async () => {
    for (const env of [{ COFFER_CACERT: CERT }, { VAULT_CACERT: CERT }] as Record<string, string>[]) {
      const r = await run(['operator', 'init', '-status'], { COFFER_ADDR: tls.address, ...env });
      assert.equal(r.code, 2, r.stderr); // reachable, and not initialized
      assert.match(r.stdout, /Coffer is not initialized/);
    }
    const flag = await run(['operator', 'init', '-status', `-ca-cert=${CERT}`], { VAULT_ADDR: tls.address });
    assert.match(flag.stdout, /Coffer is not initialized/);
  });

  it('skips verification with VAULT_SKIP_VERIFY or -tls-skip-verify', async () => {
    const env = await run(['operator', 'init', '-status'], { COFFER_ADDR: tls.address, VAULT_SKIP_VERIFY: 'true' });
    assert.match(env.stdout, /Coffer is not initialized/, env.stderr);
    const flag = await run(['operator', 'init', '-status', '-tls-skip-verify'], { COFFER_ADDR: tls.address });
    assert.match(flag.stdout, /Coffer is not initialized/, flag.stderr);
  });

  it('explains https:// against a plain-HTTP server', async () => {
    const r = await run(['status'], { COFFER_ADDR: plain.address.replace('http://', 'https://') });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^hint: the server does not speak TLS at that address: use http:\/\//m);
  });
});
