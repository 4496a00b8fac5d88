// Templated policy paths (spec §5.7): `{{identity.entity.id}}` and friends, resolved per token from
// its identity entity and groups. A rule whose placeholder has no value for the token is dropped.
// As OpenBao does by default, a substituted value containing '/', '*' or '+' (or braces) also drops
// the rule, so an entity named "*" cannot widen a policy; empty values drop it too.

export interface PolicyIdentityAlias {
  /** Accessor of the auth mount the alias belongs to (e.g. auth_userpass_1a2b3c). */
  mountAccessor: string;
  id: string;
  name: string;
  metadata?: Record<string, string>;
  customMetadata?: Record<string, string>;
}

export interface PolicyIdentity {
  entity?: {
    id: string;
    name: string;
    metadata?: Record<string, string>;
    aliases?: PolicyIdentityAlias[];
  };
  /** The groups the entity belongs to. */
  groups?: Array<{ id: string; name: string; metadata?: Record<string, string> }>;
}

type Getter = (identity: PolicyIdentity) => string | undefined;

const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;

function own(map: Record<string, string> | undefined, key: string): string | undefined {
  return map !== undefined && Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined;
}

function compilePlaceholder(expr: string): Getter | undefined {
  const parts = expr.trim().split('.');
  if (parts[0] !== 'identity' || parts.length < 3) return undefined;
  const rest = parts.slice(2);
  const tail = (from: number): string => rest.slice(from).join('.');
  if (parts[1] === 'entity') {
    if (rest.length === 1 && rest[0] === 'id') return (i) => i.entity?.id;
    if (rest.length === 1 && rest[0] === 'name') return (i) => i.entity?.name;
    if (rest[0] === 'metadata' && rest.length >= 2) {
      const key = tail(1);
      return (i) => own(i.entity?.metadata, key);
    }
    if (rest[0] === 'aliases' && rest.length >= 3) {
      const accessor = rest[1]!;
      const alias = (i: PolicyIdentity): PolicyIdentityAlias | undefined => i.entity?.aliases?.find((a) => a.mountAccessor === accessor);
      if (rest.length === 3 && rest[2] === 'id') return (i) => alias(i)?.id;
      if (rest.length === 3 && rest[2] === 'name') return (i) => alias(i)?.name;
      if (rest.length >= 4 && rest[2] === 'metadata') {
        const key = tail(3);
        return (i) => own(alias(i)?.metadata, key);
      }
      if (rest.length >= 4 && rest[2] === 'custom_metadata') {
        const key = tail(3);
        return (i) => own(alias(i)?.customMetadata, key);
      }
    }
    return undefined;
  }
  if (parts[1] === 'groups' && rest.length >= 3) {
    const [kind, ref, field] = rest as [string, string, string];
    const group = (i: PolicyIdentity): { id: string; name: string; metadata?: Record<string, string> } | undefined =>
      kind === 'ids' ? i.groups?.find((g) => g.id === ref) : i.groups?.find((g) => g.name === ref);
    if (kind === 'ids' && rest.length === 3 && field === 'name') return (i) => group(i)?.name;
    if (kind === 'names' && rest.length === 3 && field === 'id') return (i) => group(i)?.id;
    if ((kind === 'ids' || kind === 'names') && rest.length >= 4 && field === 'metadata') {
      const key = tail(3);
      return (i) => own(group(i)?.metadata, key);
    }
  }
  return undefined;
}

/** Whether a pattern contains template markers at all. */
export function isTemplated(pattern: string): boolean {
  return pattern.includes('{{') || pattern.includes('}}');
}

/** Checks every placeholder of a pattern; returns an error message, or undefined when valid. */
export function templateError(pattern: string): string | undefined {
  for (const m of pattern.matchAll(PLACEHOLDER)) {
    if (compilePlaceholder(m[1]!) === undefined) return `unknown template placeholder "{{${m[1]!.trim()}}}"`;
  }
  const stripped = pattern.replace(PLACEHOLDER, '');
  if (stripped.includes('{{') || stripped.includes('}}')) return 'unbalanced template braces';
  return undefined;
}

const UNSAFE_VALUE = /[/*+{}]/;

/** The pattern with every placeholder replaced, or undefined when the rule does not apply to this identity. */
export function resolveTemplate(pattern: string, identity: PolicyIdentity | undefined): string | undefined {
  if (identity?.entity === undefined) return undefined;
  let failed = false;
  const out = pattern.replace(PLACEHOLDER, (_all, expr: string) => {
    const value = compilePlaceholder(expr)?.(identity);
    if (value === undefined || value === '' || UNSAFE_VALUE.test(value)) failed = true;
    return value ?? '';
  });
  return failed ? undefined : out;
}
