// JSON output: two-space indentation and a trailing newline, as the Vault CLI prints it.
export function toJson(value: unknown): string {
  return `${JSON.stringify(value ?? null, null, 2)}\n`;
}
