// Human-readable report: one block per finding, secret redacted unless asked otherwise.
import type { Finding } from '../types.js';

export interface TextOptions {
  color: boolean;
}

function paint(on: boolean, code: string, s: string): string {
  return on ? `\x1b[${code}m${s}\x1b[0m` : s;
}

export function formatText(findings: Finding[], opts: TextOptions): string {
  const lines: string[] = [];
  for (const f of findings) {
    lines.push(`${paint(opts.color, '1;31', f.description)} ${paint(opts.color, '2', `[${f.ruleId}]`)}`);
    lines.push(`  file:        ${f.file}:${f.line}:${f.column}`);
    lines.push(`  secret:      ${f.secret.split('\n')[0]}${f.secret.includes('\n') ? ' …' : ''}`);
    if (f.lineText.trim() !== '') lines.push(`  line:        ${f.lineText.trim().slice(0, 200)}`);
    if (f.commit) {
      lines.push(`  commit:      ${f.commit.slice(0, 12)} ${f.date ?? ''}`.trimEnd());
      lines.push(`  author:      ${f.author ?? ''} <${f.email ?? ''}>`);
      if (f.message) lines.push(`  message:     ${f.message.slice(0, 120)}`);
    }
    lines.push(`  entropy:     ${f.entropy.toFixed(2)}`);
    lines.push(`  fingerprint: ${f.fingerprint}`);
    lines.push('');
  }
  return lines.join('\n');
}
