// `coffer kv …`: KV secrets on v1 and v2 mounts. The version is detected per call with
// `GET sys/internal/ui/mounts/<path>` (as the Vault CLI does); on v2 the user path `secret/app` maps
// to `secret/data/app`, `secret/metadata/app`, `secret/delete/app`, … Output mirrors `vault kv`.
import { ApiError, type Secret } from '../../client/client.js';
import { detectKvMount, joinMountFlag, kvV2Path, type KvApiPrefix, type KvMount } from '../../client/kv.js';
import { formatValue, warningsText } from '../output/format.js';
import { keyValueTable } from '../output/table.js';
import { CliError, EXIT_API, EXIT_OK, UsageError } from './errors.js';
import type { FlagSpec } from './flags.js';
import { noValue } from './generic.js';
import { durationValue, fileSources, parseKvArgs, stringValues } from './kv-args.js';
import { dispatch, HTTP_FLAGS, OUTPUT_FLAGS, WRAP_TTL_FLAG, type Command, type Ctx, type Group, type Io } from './runtime.js';

const MOUNT_FLAG: FlagSpec = {
  name: 'mount', kind: 'string', value: 'MOUNT',
  usage: 'The KV mount; PATH is then relative to it (kv get -mount=secret app/db).',
};
const VERSIONS_FLAG: FlagSpec = { name: 'versions', kind: 'list', value: 'N,N', usage: 'Versions to act on (comma-separated or repeated).' };

interface Target {
  /** The full user path, `secret/app/db`. */
  path: string;
  mount: KvMount;
}

async function target(ctx: Ctx, raw: string): Promise<Target> {
  const mountFlag = ctx.p.str('mount');
  const rel = raw.replace(/^\/+/, '');
  if (mountFlag !== undefined) {
    const path = joinMountFlag(mountFlag, rel);
    const mount = await detectKvMount(ctx.client, mountFlag);
    return { path, mount: mount.mountPath === '' ? { ...mount, mountPath: `${mountFlag.replace(/^\/+|\/+$/g, '')}/` } : mount };
  }
  if (rel === '') throw new UsageError('the path is empty');
  return { path: rel, mount: await detectKvMount(ctx.client, rel) };
}

function v2(t: Target, prefix: KvApiPrefix): string {
  return kvV2Path(t.path, t.mount.mountPath, prefix);
}

function requireV2(t: Target, what: string): void {
  if (t.mount.version !== 2) {
    throw new CliError(`${what} needs a KV version 2 mount, and ${t.path} is in a KV version 1 mount`, ['upgrade the mount with "coffer secrets tune -options=version=2 MOUNT", or use the v1 commands'], EXIT_API);
  }
}

function parseVersions(ctx: Ctx, required: boolean): number[] {
  const raw = ctx.p.list('versions');
  if (required && raw.length === 0) throw new UsageError('no versions given', ['use -versions=1,2']);
  return raw.map((v) => {
    if (!/^\d+$/.test(v) || Number.parseInt(v, 10) < 1) throw new UsageError(`invalid version ${JSON.stringify(v)}: versions are positive integers`);
    return Number.parseInt(v, 10);
  });
}

/** `== Header ==` padded with equal signs to the table width, as the Vault CLI prints it. */
export function sectionHeader(header: string, keys: readonly string[]): string {
  const maxKey = Math.max(0, ...keys.map((k) => k.length));
  const total = maxKey + 4 + 5;
  let signs = total - (header.length + 2);
  if (signs <= 0) signs = 4;
  if (signs % 2 !== 0) signs += 1;
  const side = '='.repeat(signs / 2);
  return `${side} ${header} ${side}`;
}

function mapTable(title: string, data: Record<string, unknown>): string {
  const keys = Object.keys(data).sort();
  return `${sectionHeader(title, keys)}\n${keyValueTable(keys.map((k) => [k, formatValue(data[k])]))}`;
}

/** The v2 put/patch/get layout: secret path, metadata table, then the data table. */
function printV2(ctx: Ctx, apiPath: string, metadata: Record<string, unknown> | null | undefined, data?: Record<string, unknown> | null): void {
  const parts = [`${sectionHeader('Secret Path', [])}\n${apiPath}\n`];
  if (metadata) parts.push(mapTable('Metadata', metadata));
  if (data) parts.push(mapTable('Data', data));
  ctx.print(parts.join('\n'));
}

async function kvData(ctx: Ctx, args: string[]): Promise<Record<string, unknown>> {
  const data = await parseKvArgs(args, fileSources(ctx.io.readStdin));
  for (const v of stringValues(data)) ctx.sensitive.add(v);
  return data;
}

function pathArgs(ctx: Ctx): { raw: string; rest: string[] } {
  const [raw, ...rest] = ctx.args;
  return { raw: raw!, rest };
}

const get: Command = {
  def: {
    name: 'kv get',
    args: 'PATH',
    summary: 'Read a secret (the current version on KV v2, or -version=N).',
    flags: [{ name: 'version', kind: 'int', usage: 'Version to read (KV v2; default the current one).' }, MOUNT_FLAG, ...HTTP_FLAGS, ...OUTPUT_FLAGS, WRAP_TTL_FLAG],
    minArgs: 1,
    maxArgs: 1,
  },
  async run(ctx) {
    // The mount preflight is never wrapped (as in Vault): only the read itself carries -wrap-ttl.
    const t = await target(ctx, pathArgs(ctx).raw);
    if (t.mount.version === 1) {
      if (ctx.p.has('version')) throw new UsageError('-version is only supported on KV version 2 mounts');
      const secret = await ctx.client.read(t.path, undefined, ctx.call);
      if (!secret) throw noValue(t.path);
      ctx.printSecret(secret);
      return EXIT_OK;
    }
    const apiPath = v2(t, 'data');
    const query = ctx.p.has('version') ? { version: ctx.p.int('version') } : undefined;
    let secret: Secret<{ data: Record<string, unknown> | null; metadata: Record<string, unknown> | null }> | null;
    let deleted = false;
    try {
      secret = (await ctx.client.request<typeof secret & object>('GET', apiPath, { query, ...ctx.call })).body;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) throw err;
      const body = err.body as typeof secret;
      if (!body?.data) throw noValue(t.path);
      secret = body;
      deleted = true;
    }
    if (secret?.wrap_info) {
      ctx.printSecret(secret);
      return EXIT_OK;
    }
    if (!secret?.data) throw noValue(t.path);
    const { data, metadata } = secret.data;
    if (ctx.field !== undefined) {
      if (!data) throw new CliError(`no data found at ${t.path}`, deletedHint(metadata), EXIT_API);
      if (ctx.field === 'data' && !Object.prototype.hasOwnProperty.call(data, 'data')) ctx.printField({ found: true, value: data });
      else ctx.printField({ found: Object.prototype.hasOwnProperty.call(data, ctx.field), value: data[ctx.field] });
      return EXIT_OK;
    }
    if (ctx.format !== 'table') {
      ctx.printSecret(secret);
      return deleted ? EXIT_API : EXIT_OK;
    }
    ctx.io.err(warningsText(secret.warnings));
    printV2(ctx, apiPath, metadata, data);
    if (deleted || !data) {
      ctx.io.err(`coffer: error: version ${String(metadata?.['version'] ?? '')} of ${t.path} is ${metadata?.['destroyed'] ? 'destroyed' : 'deleted'}\n`);
      for (const h of deletedHint(metadata)) ctx.io.err(`hint: ${h}\n`);
      return EXIT_API;
    }
    return EXIT_OK;
  },
};

function deletedHint(metadata: Record<string, unknown> | null | undefined): string[] {
  if (metadata?.['destroyed']) return ['a destroyed version cannot be recovered; read another one with -version=N'];
  if (metadata?.['deletion_time']) return [`restore it with "coffer kv undelete -versions=${String(metadata['version'])} PATH"`];
  return [];
}

function casOptions(ctx: Ctx): Record<string, unknown> {
  if (!ctx.p.has('cas')) return {};
  const cas = ctx.p.int('cas')!;
  if (cas < 0) throw new UsageError('-cas must be 0 or a positive version number');
  return { cas };
}

/** Prints the metadata a v2 write returns, or the success line for v1. */
function printWrite(ctx: Ctx, apiPath: string, secret: Secret | null): void {
  if (!secret) {
    ctx.success(`Success! Data written to: ${apiPath}`);
    return;
  }
  if (ctx.field !== undefined || ctx.format !== 'table') {
    ctx.printSecret(secret);
    return;
  }
  ctx.io.err(warningsText(secret.warnings));
  printV2(ctx, apiPath, secret.data);
}

const put: Command = {
  def: {
    name: 'kv put',
    args: 'PATH KEY=VALUE...',
    summary: 'Write a secret, replacing all its data (a new version on KV v2).',
    description: 'Values: KEY=VALUE, KEY=@FILE (the file\'s contents), KEY=- (stdin, verbatim); or - for a JSON object on stdin.',
    flags: [{ name: 'cas', kind: 'int', usage: 'Check-and-set: write only if the current version is N (0 = only if the secret does not exist). KV v2.' }, MOUNT_FLAG, ...HTTP_FLAGS, ...OUTPUT_FLAGS],
    minArgs: 1,
  },
  async run(ctx) {
    const { raw, rest } = pathArgs(ctx);
    if (rest.length === 0) throw new UsageError('no data given: kv put needs KEY=VALUE pairs', ['usage: coffer kv put [flags] PATH KEY=VALUE...', 'to remove a secret use "coffer kv delete PATH"']);
    const data = await kvData(ctx, rest);
    const t = await target(ctx, raw);
    if (t.mount.version === 1) {
      if (ctx.p.has('cas')) throw new UsageError('-cas is only supported on KV version 2 mounts');
      printWrite(ctx, t.path, await ctx.client.write(t.path, data));
      return EXIT_OK;
    }
    const apiPath = v2(t, 'data');
    printWrite(ctx, apiPath, await ctx.client.write(apiPath, { data, options: casOptions(ctx) }));
    return EXIT_OK;
  },
};

const patch: Command = {
  def: {
    name: 'kv patch',
    args: 'PATH [KEY=VALUE...]',
    summary: 'Update some keys of a KV v2 secret, keeping the others (a new version).',
    description: '-method=patch (default) sends a JSON merge patch; -method=rw reads, merges and writes back with check-and-set.',
    flags: [
      { name: 'cas', kind: 'int', usage: 'Check-and-set: patch only if the current version is N.' },
      { name: 'method', kind: 'string', value: 'patch|rw', usage: 'How to patch (default patch, falling back to rw if the server refuses PATCH).' },
      { name: 'remove', kind: 'list', value: 'KEY', usage: 'Key to remove; repeatable.' },
      MOUNT_FLAG, ...HTTP_FLAGS, ...OUTPUT_FLAGS,
    ],
    minArgs: 1,
  },
  async run(ctx) {
    const { raw, rest } = pathArgs(ctx);
    const remove = ctx.p.list('remove');
    if (rest.length === 0 && remove.length === 0) throw new UsageError('no data given: kv patch needs KEY=VALUE pairs or -remove=KEY', ['usage: coffer kv patch [flags] PATH KEY=VALUE...']);
    const method = ctx.p.str('method');
    if (method !== undefined && method !== 'patch' && method !== 'rw') throw new UsageError(`invalid -method ${JSON.stringify(method)}`, ['use -method=patch or -method=rw']);
    const data = await kvData(ctx, rest);
    const t = await target(ctx, raw);
    requireV2(t, 'kv patch');
    const apiPath = v2(t, 'data');
    if (method !== 'rw') {
      const patchData: Record<string, unknown> = { ...data };
      for (const k of remove) patchData[k] = null;
      try {
        printWrite(ctx, apiPath, await ctx.client.patch(apiPath, { data: patchData, options: casOptions(ctx) }));
        return EXIT_OK;
      } catch (err) {
        if (!(method === undefined && err instanceof ApiError && (err.status === 405 || err.status === 415))) throw err;
      }
    }
    const current = await ctx.client.read<{ data: Record<string, unknown> | null; metadata: { version: number } | null }>(apiPath);
    if (!current?.data?.data) throw new CliError(`no existing data at ${t.path} to patch`, ['create it with "coffer kv put"'], EXIT_API);
    const merged: Record<string, unknown> = { ...current.data.data, ...data };
    for (const k of remove) delete merged[k];
    const cas = ctx.p.has('cas') ? casOptions(ctx) : { cas: current.data.metadata?.version ?? 0 };
    printWrite(ctx, apiPath, await ctx.client.write(apiPath, { data: merged, options: cas }));
    return EXIT_OK;
  },
};

const del: Command = {
  def: {
    name: 'kv delete',
    args: 'PATH',
    summary: 'Delete a secret: on KV v2 soft-delete the current version, or the -versions given.',
    flags: [VERSIONS_FLAG, MOUNT_FLAG, ...HTTP_FLAGS],
    minArgs: 1,
    maxArgs: 1,
  },
  async run(ctx) {
    const versions = parseVersions(ctx, false);
    const t = await target(ctx, pathArgs(ctx).raw);
    if (t.mount.version === 1) {
      if (versions.length > 0) throw new UsageError('-versions is only supported on KV version 2 mounts');
      await ctx.client.delete(t.path);
      ctx.success(`Success! Data deleted (if it existed) at: ${t.path}`);
      return EXIT_OK;
    }
    if (versions.length === 0) {
      const apiPath = v2(t, 'data');
      await ctx.client.delete(apiPath);
      ctx.success(`Success! Data deleted (if it existed) at: ${apiPath}`);
    } else {
      const apiPath = v2(t, 'delete');
      await ctx.client.write(apiPath, { versions });
      ctx.success(`Success! Data deleted (if it existed) at: ${apiPath}`);
    }
    return EXIT_OK;
  },
};

function versionsCommand(name: 'undelete' | 'destroy', summary: string): Command {
  return {
    def: { name: `kv ${name}`, args: 'PATH', summary, flags: [VERSIONS_FLAG, MOUNT_FLAG, ...HTTP_FLAGS], minArgs: 1, maxArgs: 1 },
    async run(ctx) {
      const versions = parseVersions(ctx, true);
      const t = await target(ctx, pathArgs(ctx).raw);
      requireV2(t, `kv ${name}`);
      const apiPath = v2(t, name);
      await ctx.client.write(apiPath, { versions });
      ctx.success(`Success! Data written to: ${apiPath}`);
      return EXIT_OK;
    },
  };
}

const list: Command = {
  def: {
    name: 'kv list',
    args: 'PATH',
    summary: 'List the secrets and folders under PATH.',
    flags: [MOUNT_FLAG, ...HTTP_FLAGS, OUTPUT_FLAGS[0]!],
    minArgs: 1,
    maxArgs: 1,
  },
  async run(ctx) {
    const t = await target(ctx, pathArgs(ctx).raw);
    const apiPath = t.mount.version === 2 ? v2(t, 'metadata') : t.path;
    const secret = await ctx.client.list(apiPath);
    const keys = secret?.data?.keys;
    if (!Array.isArray(keys) || keys.length === 0) throw noValue(`${t.path.replace(/\/+$/, '')}/`);
    ctx.printKeys(keys, keys);
    return EXIT_OK;
  },
};

const metadataGet: Command = {
  def: {
    name: 'kv metadata get',
    args: 'PATH',
    summary: 'Show a KV v2 secret\'s metadata and the state of every version.',
    flags: [MOUNT_FLAG, ...HTTP_FLAGS, ...OUTPUT_FLAGS],
    minArgs: 1,
    maxArgs: 1,
  },
  async run(ctx) {
    const t = await target(ctx, pathArgs(ctx).raw);
    requireV2(t, 'kv metadata get');
    const apiPath = v2(t, 'metadata');
    const secret = await ctx.client.read(apiPath);
    if (!secret?.data) throw noValue(t.path);
    if (ctx.field !== undefined || ctx.format !== 'table') {
      ctx.printSecret(secret);
      return EXIT_OK;
    }
    const { versions, ...meta } = secret.data as Record<string, unknown> & { versions?: Record<string, Record<string, unknown>> };
    const parts = [`${sectionHeader('Metadata Path', [])}\n${apiPath}\n`, mapTable('Metadata', meta)];
    const numbers = Object.keys(versions ?? {}).sort((a, b) => Number(b) - Number(a));
    for (const n of numbers) parts.push(mapTable(`Version ${n}`, versions![n]!));
    ctx.print(parts.join('\n'));
    return EXIT_OK;
  },
};

const METADATA_FLAGS: FlagSpec[] = [
  { name: 'max-versions', kind: 'int', usage: 'Number of versions to keep (0 = the mount\'s setting).' },
  { name: 'cas-required', kind: 'bool', usage: 'Require check-and-set (-cas) on every write to this secret.' },
  { name: 'delete-version-after', kind: 'string', value: 'DURATION', usage: 'Soft-delete versions this long after they are written ("0s" = never).' },
  { name: 'custom-metadata', kind: 'map', usage: 'Custom metadata KEY=VALUE; repeatable.' },
];

function metadataBody(ctx: Ctx): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (ctx.p.has('max-versions')) body['max_versions'] = ctx.p.int('max-versions');
  if (ctx.p.has('cas-required')) body['cas_required'] = ctx.p.bool('cas-required');
  if (ctx.p.has('delete-version-after')) body['delete_version_after'] = durationValue(ctx.p.str('delete-version-after')!);
  if (ctx.p.has('custom-metadata')) body['custom_metadata'] = ctx.p.map('custom-metadata');
  return body;
}

function metadataWrite(verb: 'put' | 'patch', summary: string): Command {
  return {
    def: { name: `kv metadata ${verb}`, args: 'PATH', summary, flags: [...METADATA_FLAGS, MOUNT_FLAG, ...HTTP_FLAGS], minArgs: 1, maxArgs: 1 },
    async run(ctx) {
      const body = metadataBody(ctx);
      if (verb === 'patch' && Object.keys(body).length === 0) throw new UsageError('nothing to patch', ['give at least one of -max-versions, -cas-required, -delete-version-after, -custom-metadata']);
      const t = await target(ctx, pathArgs(ctx).raw);
      requireV2(t, `kv metadata ${verb}`);
      const apiPath = v2(t, 'metadata');
      if (verb === 'put') await ctx.client.write(apiPath, body);
      else await ctx.client.patch(apiPath, body);
      ctx.success(`Success! Data written to: ${apiPath}`);
      return EXIT_OK;
    },
  };
}

const metadataDelete: Command = {
  def: {
    name: 'kv metadata delete',
    args: 'PATH',
    summary: 'Delete a KV v2 secret\'s metadata and all its versions, permanently.',
    flags: [MOUNT_FLAG, ...HTTP_FLAGS],
    minArgs: 1,
    maxArgs: 1,
  },
  async run(ctx) {
    const t = await target(ctx, pathArgs(ctx).raw);
    requireV2(t, 'kv metadata delete');
    const apiPath = v2(t, 'metadata');
    await ctx.client.delete(apiPath);
    ctx.success(`Success! Data deleted (if it existed) at: ${apiPath}`);
    return EXIT_OK;
  },
};

const metadata: Group = {
  summary: 'Read and write KV v2 metadata (versions kept, check-and-set, custom metadata).',
  commands: {
    get: metadataGet,
    put: metadataWrite('put', 'Create or replace a KV v2 secret\'s metadata settings.'),
    patch: metadataWrite('patch', 'Change some of a KV v2 secret\'s metadata settings.'),
    delete: metadataDelete,
  },
};

const COMMANDS: Record<string, Command | Group> = {
  get,
  put,
  patch,
  delete: del,
  undelete: versionsCommand('undelete', 'Restore soft-deleted versions of a KV v2 secret.'),
  destroy: versionsCommand('destroy', 'Permanently remove the data of versions of a KV v2 secret.'),
  list,
  metadata,
};

export const run = (argv: string[], io: Io): Promise<number> =>
  dispatch('kv', 'Read and write secrets in KV v1 and v2 mounts.', COMMANDS, argv, io);
