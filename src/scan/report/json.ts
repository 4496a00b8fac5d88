// JSON report: an array of findings (stable field names, secret redacted unless asked otherwise).
import type { Finding } from '../types.js';

export function formatJson(findings: Finding[]): string {
  return JSON.stringify(findings, null, 2) + '\n';
}
