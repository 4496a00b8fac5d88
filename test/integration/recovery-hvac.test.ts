// Debian's python3-hvac (0.11.2) drives a rekey with verification and a root token generation:
// start_rekey, rekey_multi, rekey_verify(_multi), cancel_rekey(_verify), read_backup_keys, the
// seal/unseal helpers with old and new keys, start_root_token_generation, generate_root,
// cancel_root_generation. The script (test/integration/fixtures/recovery_hvac.py) prints one JSON
// object; the server runs in this process, so it is spawned asynchronously.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRootToken } from '../../src/lib/root-token.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { runPython } from '../helpers/python.js';

const runHvac = (args: string[]) => runPython('test/integration/fixtures/recovery_hvac.py', args);

describe('python3-hvac rekey and root generation', () => {
  let srv: TestServer;
  before(async () => { srv = await startTestServer({ shares: 3, threshold: 2 }); });
  after(async () => { await srv.stop(); });

  it('rekey with verification, unseal with the new keys, generate a root token', async () => {
    const { code, out, stderr } = await runHvac([srv.address, srv.rootToken, ...srv.unsealKeys]);
    assert.equal(code, 0, stderr);

    assert.deepEqual(out.progress_before, { nonce: '', started: false, t: 0, n: 0, progress: 0, required: 2, pgp_fingerprints: null, backup: false, verification_required: false });
    assert.equal(out.start.started, true);
    assert.equal(out.start.verification_required, true);
    assert.deepEqual(out.cancel_without_nonce, { exception: 'InvalidRequest', errors: ['invalid request'] });
    assert.equal(out.wrong_nonce.exception, 'InvalidRequest');
    assert.match(out.wrong_nonce.errors[0], /^incorrect nonce supplied/);

    const r = out.rekey_multi;
    assert.equal(r.complete, true);
    assert.equal(r.keys.length, 4);
    assert.equal(r.verification_required, true);
    assert.deepEqual(out.verify_progress, { nonce: r.verification_nonce, started: true, t: 2, n: 4, progress: 0 });
    assert.equal(out.verify_one.progress, 1);
    // hvac treats the 200 of DELETE sys/rekey/verify as JSON: the new verification status.
    assert.equal(out.cancel_verify.progress, 0);
    assert.notEqual(out.cancel_verify.nonce, r.verification_nonce);
    assert.equal(out.verify_multi.complete, true);
    assert.equal(out.progress_after.started, false);
    assert.deepEqual(out.backup_none, { exception: 'InvalidRequest', errors: ['no backed-up keys found'] });

    assert.equal(out.seal.status, 204);
    assert.equal(out.old_keys.exception, 'InvalidRequest');
    assert.match(out.old_keys.errors[0], /message authentication failed/);
    assert.equal(out.new_keys.sealed, false);

    assert.equal(out.root_progress_before.started, false);
    assert.equal(out.root_progress_before.otp_length, 28);
    assert.equal(out.root_start.started, true);
    assert.equal(out.root_cancel.status, 204);
    assert.equal(out.root_one.progress, 1);
    assert.equal(out.root_done.complete, true);
    const token = decodeRootToken(out.root_done.encoded_token, out.otp);
    const self = await srv.request('GET', 'auth/token/lookup-self', { token });
    assert.deepEqual(self.body.data.policies, ['root']);
  });
});
