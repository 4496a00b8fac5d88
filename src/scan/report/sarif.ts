// SARIF 2.1.0 report (GitHub code scanning): one run, every enabled rule in the driver, one result per
// finding with a partial fingerprint so code scanning tracks it across commits.
import type { Finding } from '../types.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

export interface SarifOptions {
  version: string;
  rules: { id: string; description: string; tags: string[] }[];
}

function uri(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export function buildSarif(findings: Finding[], opts: SarifOptions): Record<string, unknown> {
  const index = new Map(opts.rules.map((r, i) => [r.id, i]));
  const rules = opts.rules.map((r) => ({
    id: r.id,
    name: r.id.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase()),
    shortDescription: { text: r.description },
    fullDescription: { text: `${r.description}. A credential committed to source control must be rotated, then removed.` },
    defaultConfiguration: { level: 'error' },
    help: { text: `Rotate the ${r.description.toLowerCase()} first, then remove it from the code and from history, and load it from a secret store instead.` },
    properties: { tags: ['security', 'secret', ...r.tags] },
  }));
  const results = findings.map((f) => {
    const result: Record<string, unknown> = {
      ruleId: f.ruleId,
      level: 'error',
      message: { text: `${f.description} found in ${f.file}${f.commit ? ` (commit ${f.commit.slice(0, 12)})` : ''}: ${f.secret.split('\n')[0]}` },
      locations: [{
        physicalLocation: {
          artifactLocation: { uri: uri(f.file) },
          region: {
            startLine: f.line,
            startColumn: f.column,
            endLine: f.endLine,
            endColumn: f.endColumn + 1,
            snippet: { text: f.lineText },
          },
        },
      }],
      partialFingerprints: { 'cofferSecretFingerprint/v1': f.fingerprint },
    };
    const ruleIndex = index.get(f.ruleId);
    if (ruleIndex !== undefined) result.ruleIndex = ruleIndex;
    if (f.commit) result.properties = { commit: f.commit, author: f.author, email: f.email, date: f.date, commitMessage: f.message };
    return result;
  });
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'coffer-scan', fullName: 'Coffer secret scanner', version: opts.version, informationUri: 'https://github.com/coffer/coffer/blob/main/docs/scan.md', rules } },
      results,
      columnKind: 'utf16CodeUnits',
    }],
  };
}

export function formatSarif(findings: Finding[], opts: SarifOptions): string {
  return JSON.stringify(buildSarif(findings, opts), null, 2) + '\n';
}
