// YAML output via the `yaml` package (block style, keys in their original order).
import { stringify } from 'yaml';

export function toYaml(value: unknown): string {
  return stringify(value ?? null, { lineWidth: 0 });
}
