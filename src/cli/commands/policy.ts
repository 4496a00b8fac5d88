// `coffer policy read|write|list|delete|fmt`: ACL policies through sys/policies/acl; `fmt`
// reformats a local HCL policy file in place (no server involved).
import { readFile, writeFile } from 'node:fs/promises';
import { formatHcl } from '../output/hcl.js';
import { CliError, EXIT_API, EXIT_OK, UsageError } from './errors.js';
import { dispatch, HTTP_FLAGS, OUTPUT_FLAGS, type Command, type Io } from './runtime.js';

function policyName(raw: string): string {
  const name = raw.trim();
  if (name === '' || name.includes('/')) throw new UsageError(`invalid policy name ${JSON.stringify(raw)}`);
  return name;
}

const list: Command = {
  def: { name: 'policy list', args: '', summary: 'List the ACL policies.', flags: [...HTTP_FLAGS, OUTPUT_FLAGS[0]!], maxArgs: 0 },
  async run(ctx) {
    const secret = await ctx.client.list('sys/policies/acl');
    const keys = secret?.data?.keys ?? [];
    if (ctx.format !== 'table') ctx.printKeys(keys, keys);
    else ctx.print(keys.map((k) => `${k}\n`).join(''));
    return EXIT_OK;
  },
};

const read: Command = {
  def: { name: 'policy read', args: 'NAME', summary: 'Print the text of a policy.', flags: [...HTTP_FLAGS, ...OUTPUT_FLAGS], minArgs: 1, maxArgs: 1 },
  async run(ctx) {
    const name = policyName(ctx.args[0]!);
    const secret = await ctx.client.read<{ name: string; policy: string }>(`sys/policies/acl/${name}`);
    if (!secret?.data) throw new CliError(`no policy named ${JSON.stringify(name)}`, ['see "coffer policy list"'], EXIT_API);
    if (ctx.format !== 'table' || ctx.field !== undefined) ctx.printSecret(secret);
    else ctx.print(secret.data.policy.endsWith('\n') ? secret.data.policy : `${secret.data.policy}\n`);
    return EXIT_OK;
  },
};

const write: Command = {
  def: {
    name: 'policy write',
    args: 'NAME FILE|-',
    summary: 'Create or replace a policy from an HCL or JSON file (- reads stdin).',
    flags: [...HTTP_FLAGS],
    minArgs: 2,
    maxArgs: 2,
  },
  async run(ctx) {
    const name = policyName(ctx.args[0]!);
    const file = ctx.args[1]!;
    const text = file === '-' ? await ctx.io.readStdin() : await readFile(file, 'utf8');
    if (text.trim() === '') throw new UsageError(`the policy ${file === '-' ? 'on stdin' : `in ${file}`} is empty`);
    await ctx.client.write(`sys/policies/acl/${name}`, { policy: text });
    ctx.success(`Success! Uploaded policy: ${name}`);
    return EXIT_OK;
  },
};

const del: Command = {
  def: { name: 'policy delete', args: 'NAME', summary: 'Delete a policy (tokens keep its name but it grants nothing).', flags: [...HTTP_FLAGS], minArgs: 1, maxArgs: 1 },
  async run(ctx) {
    const name = policyName(ctx.args[0]!);
    await ctx.client.delete(`sys/policies/acl/${name}`);
    ctx.success(`Success! Deleted policy: ${name}`);
    return EXIT_OK;
  },
};

const fmt: Command = {
  def: {
    name: 'policy fmt',
    args: 'FILE',
    summary: 'Format an HCL policy file in place (canonical indentation and alignment; comments kept).',
    flags: [],
    minArgs: 1,
    maxArgs: 1,
  },
  async run(ctx) {
    const file = ctx.args[0]!;
    const source = await readFile(file, 'utf8');
    let formatted: string;
    try {
      formatted = formatHcl(source);
    } catch (err) {
      if (err instanceof Error && 'line' in err) throw new CliError(`${file}: ${err.message}`, ['the file was left unchanged']);
      throw err;
    }
    if (formatted !== source) await writeFile(file, formatted);
    ctx.success(`Success! Formatted policy: ${file}`);
    return EXIT_OK;
  },
};

const COMMANDS: Record<string, Command> = { list, read, write, delete: del, fmt };

export const run = (argv: string[], io: Io): Promise<number> =>
  dispatch('policy', 'Read, write, list, delete and format ACL policies.', COMMANDS, argv, io);

