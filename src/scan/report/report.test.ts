import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '../types.js';
import { formatJunit } from './junit.js';
import { redactFinding, redactSecret } from './redact.js';
import { buildSarif } from './sarif.js';
import { formatText } from './text.js';

const secret = 'q8ZkR2vT9mW4xL7pN3bY6cJ1hF5gD0sA1234567';
const f: Finding = {
  ruleId: 'generic-secret', description: 'Secret', file: 'dir/a b.ts', line: 3, column: 9, endLine: 3, endColumn: 48,
  secret, match: `token = "${secret}"`, lineText: `  token = "${secret}" <&>`, entropy: 4.9, tags: ['generic'], fingerprint: 'fp',
};

describe('reports', () => {
  it('redacts all but a short prefix everywhere', () => {
    assert.equal(redactSecret(secret), 'q8Z[REDACTED]');
    assert.equal(redactSecret('short'), '[REDACTED]');
    const r = redactFinding(f);
    for (const v of [r.secret, r.match, r.lineText]) assert.ok(!v.includes(secret.slice(3)));
    assert.ok(!formatText([r], { color: false }).includes(secret));
  });
  it('builds SARIF with rules, locations and fingerprints', () => {
    const log = buildSarif([redactFinding(f)], { version: '1.0.0', rules: [{ id: 'generic-secret', description: 'Secret', tags: [] }] }) as {
      version: string; runs: { results: { ruleIndex: number; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[];
    };
    assert.equal(log.version, '2.1.0');
    const res = log.runs[0]!.results[0]!;
    assert.equal(res.ruleIndex, 0);
    assert.equal(res.locations[0]!.physicalLocation.artifactLocation.uri, 'dir/a%20b.ts');
  });
  it('writes escaped JUnit XML', () => {
    const xml = formatJunit([redactFinding(f)], { seconds: 1 });
    assert.match(xml, /failures="1"/);
    assert.ok(!xml.includes('<&>'));
    assert.match(formatJunit([], { seconds: 0 }), /no secrets found/);
  });
});
