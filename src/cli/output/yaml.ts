// YAML output via the `yaml` package (block style, keys in their original order). The package is
// loaded on first use only: importing it costs ~100 ms, which every other command should not pay.
import { createRequire } from 'node:module';

type YamlModule = typeof import('yaml');
let yaml: YamlModule | undefined;

export function toYaml(value: unknown): string {
  yaml ??= createRequire(import.meta.url)('yaml') as YamlModule;
  return yaml.stringify(value ?? null, { lineWidth: 0 });
}
