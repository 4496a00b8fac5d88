// JUnit XML report for CI systems that show test results: one failing test case per finding, or a
// single passing case when the scan is clean.
import type { Finding } from '../types.js';

export function escapeXml(s: string): string {
  // Characters XML 1.0 cannot carry at all are dropped; the rest are escaped.
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export function formatJunit(findings: Finding[], opts: { seconds: number }): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const n = Math.max(1, findings.length);
  out.push(`<testsuites name="coffer scan" tests="${n}" failures="${findings.length}" time="${opts.seconds.toFixed(3)}">`);
  out.push(`  <testsuite name="secrets" tests="${n}" failures="${findings.length}" errors="0" time="${opts.seconds.toFixed(3)}">`);
  if (findings.length === 0) out.push('    <testcase classname="coffer.scan" name="no secrets found"/>');
  for (const f of findings) {
    const where = `${f.file}:${f.line}:${f.column}`;
    const body = [
      `${f.description} (${f.ruleId})`,
      `file: ${where}`,
      `secret: ${f.secret.split('\n')[0]}`,
      ...(f.commit ? [`commit: ${f.commit} by ${f.author ?? ''} <${f.email ?? ''}> on ${f.date ?? ''}`] : []),
      `fingerprint: ${f.fingerprint}`,
    ].join('\n');
    out.push(`    <testcase classname="${escapeXml(f.file)}" name="${escapeXml(`${f.ruleId} at ${where}${f.commit ? ` in ${f.commit.slice(0, 12)}` : ''}`)}">`);
    out.push(`      <failure type="${escapeXml(f.ruleId)}" message="${escapeXml(`${f.description} at ${where}`)}">${escapeXml(body)}</failure>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}
