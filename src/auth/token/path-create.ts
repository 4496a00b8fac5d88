// auth/token/create and auth/token/create-orphan (Vault's handleCreateCommon without roles).
import { InvalidRequestError } from '../../core/errors.js';
import { definePath, type PathDef } from '../../framework/backend.js';
import type { FieldData } from '../../framework/field-data.js';
import type { FieldSchema } from '../../framework/field-types.js';
import type { Request, Response } from '../../framework/types.js';
import { callerIsSudo, type TokenPathContext } from './common.js';
import { sanitizePolicies, type CreateTokenParams, type TokenType } from './store.js';

export const CREATE_FIELDS: Record<string, FieldSchema> = {
  display_name: { type: 'string', description: 'Name to associate with this token.' },
  explicit_max_ttl: { type: 'duration', description: 'Explicit max TTL of this token.' },
  entity_alias: { type: 'string', description: 'Name of the entity alias to associate with this token (token roles only).' },
  num_uses: { type: 'int', description: 'Max number of uses for this token (0 = unlimited).' },
  period: { type: 'duration', description: 'Renew period: makes the token periodic.' },
  renewable: { type: 'bool', default: true, description: 'Allow the token to be renewed up to its max TTL.' },
  ttl: { type: 'duration', description: 'Time to live for this token.' },
  lease: { type: 'duration', description: "Deprecated: use 'ttl'." },
  type: { type: 'string', description: 'Token type: service or batch.' },
  no_default_policy: { type: 'bool', description: 'Do not include the default policy.' },
  id: { type: 'string', description: 'Value for the token (root/sudo only).' },
  meta: { type: 'kv-pairs', description: 'Arbitrary key=value metadata to associate with the token.' },
  no_parent: { type: 'bool', description: 'Create the token with no parent (root/sudo only).' },
  policies: { type: 'comma-string-slice', description: 'List of policies for the token.' },
};

/** Vault's display name rule: "token-" + name, anything but [a-zA-Z0-9-] → "-", one trailing "-" trimmed. */
export function tokenDisplayName(name: string): string {
  if (name === '') return 'token';
  const full = ('token-' + name).replace(/[^a-zA-Z0-9-]/g, '-');
  return full.endsWith('-') ? full.slice(0, -1) : full;
}

export function createPaths(ctx: TokenPathContext): PathDef[] {
  async function handleCreate(req: Request, f: FieldData, orphanEndpoint: boolean): Promise<Response> {
    const parent = req.clientToken === '' ? undefined : await ctx.store.lookup(req.clientToken);
    if (!parent) throw new InvalidRequestError('parent token lookup failed: no parent found');
    if (parent.type === 'batch') throw new InvalidRequestError('batch tokens cannot create more tokens');
    // A use-limited token could escape its limit through children.
    if (parent.numUses !== 0) throw new InvalidRequestError('restricted use token cannot generate child tokens');
    const isSudo = await callerIsSudo(ctx, req, parent);

    const typeStr = f.string('type');
    if (typeStr !== '' && typeStr !== 'service' && typeStr !== 'batch') throw new InvalidRequestError("invalid 'token_type' value");
    const type: TokenType = typeStr === 'batch' ? 'batch' : 'service';
    const numUses = f.int('num_uses');
    const explicitMaxTTL = f.duration('explicit_max_ttl');
    const period = f.duration('period');
    if (type === 'batch') {
      const bad = explicitMaxTTL !== 0 ? 'explicit_max_ttl' : numUses !== 0 ? 'num_uses' : period !== 0 ? 'period' : '';
      if (bad !== '') throw new InvalidRequestError(`batch tokens cannot have "${bad}" set`);
    }
    if (numUses < 0) throw new InvalidRequestError('number of uses cannot be negative');
    if (!Number.isSafeInteger(numUses)) throw new InvalidRequestError('invalid num_uses: out of range');
    if (f.string('entity_alias') !== '') throw new InvalidRequestError("'entity_alias' is only allowed in combination with token role");

    const id = f.string('id');
    if (id !== '' && !isSudo) throw new InvalidRequestError('root or sudo privileges required to specify token id');

    // Policies: inherit the parent's when none are given; otherwise a subset of the parent's unless sudo.
    const noDefault = f.bool('no_default_policy');
    let policies = f.strings('policies');
    let addDefault = false;
    if (policies.length === 0) {
      policies = sanitizePolicies(parent.policies, false);
    } else if (!isSudo) {
      const parentPolicies = new Set(sanitizePolicies(parent.policies, false));
      if (!sanitizePolicies(policies, false).every((p) => parentPolicies.has(p))) {
        throw new InvalidRequestError('child policies must be subset of parent');
      }
      addDefault = !noDefault && parent.policies.includes('default');
    } else {
      addDefault = !noDefault;
    }
    let finalPolicies = sanitizePolicies(policies, addDefault);
    if (noDefault) finalPolicies = finalPolicies.filter((p) => p !== 'default');

    let orphan = orphanEndpoint;
    if (f.bool('no_parent')) {
      if (!isSudo) throw new InvalidRequestError('root or sudo privileges required to create orphan token');
      orphan = true;
    }
    if (period > 0 && !isSudo) throw new InvalidRequestError('root or sudo privileges required to create periodic token');

    const params: CreateTokenParams = {
      policies: finalPolicies,
      meta: f.has('meta') ? f.pairs('meta') : null,
      displayName: tokenDisplayName(f.string('display_name')),
      ttl: f.has('ttl') ? f.duration('ttl') : f.duration('lease'),
      explicitMaxTTL, period, numUses, renewable: f.bool('renewable'), type,
      path: `auth/token/${req.path}`,
      id: id === '' ? undefined : id,
      orphan,
    };
    const { token, entry, warnings } = await ctx.store.create(params, parent);

    if (ctx.options.policyExists) {
      for (const p of entry.policies) {
        if (p !== 'root' && !(await ctx.options.policyExists(p))) warnings.push(`Policy "${p}" does not exist`);
      }
    }
    const resp: Response = { data: null, issuedAuth: ctx.store.authResponse(token, entry) };
    if (warnings.length > 0) resp.warnings = warnings;
    return resp;
  }

  return [
    definePath({
      pattern: 'create',
      fields: CREATE_FIELDS,
      operations: { update: async (req, f) => handleCreate(req, f, false) },
      help: 'Create a child token of the calling token.',
    }),
    definePath({
      pattern: 'create-orphan',
      fields: CREATE_FIELDS,
      operations: { update: async (req, f) => handleCreate(req, f, true) },
      help: 'Create a token with no parent (authorization is by ACL on this path, no sudo needed).',
    }),
  ];
}
