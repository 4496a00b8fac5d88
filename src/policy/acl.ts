// ACL evaluation (spec §5.3–5.6): the set of a token's policies compiled into exact, prefix ('*')
// and segment-wildcard ('+') rules, with Vault's merge of identical patterns and its priority order
// among wildcard matches. One function answers both request checks and sys/capabilities.
import type { Capability, PathRule, Policy } from './parse.js';
import { resolveTemplate } from './template.js';
import type { PolicyIdentity } from './template.js';

export type Operation = 'create' | 'read' | 'update' | 'delete' | 'list' | 'patch';

export interface AllowOperationInput {
  path: string;
  operation: Operation;
  /** The request's top-level data (body or query parameters). */
  data?: Record<string, unknown>;
  /** The requested response-wrapping TTL in seconds (X-Vault-Wrap-TTL); undefined when not wrapped. */
  wrapTTL?: number;
}

export interface AllowOperationResult {
  allowed: boolean;
  /** The matched rule grants sudo (needed on root-protected paths), or the ACL is root. */
  sudo: boolean;
  /** The ACL is the root ACL. */
  root: boolean;
  /** Wrapping bounds of the matched rule, in seconds (absent when unset). */
  minWrappingTTL?: number;
  maxWrappingTTL?: number;
  /** Why the request was refused, for logs (never sent to clients: they get "permission denied"). */
  deniedReason?: string;
}

export interface ACLOptions {
  /** The token's identity, for templated paths; without it templated rules are dropped. */
  identity?: PolicyIdentity;
  /** Epoch milliseconds used to drop expired rules; defaults to Date.now(). */
  now?: number;
}

const BIT: Record<Capability, number> = {
  deny: 1, create: 2, read: 4, update: 8, delete: 16, list: 32, sudo: 64, patch: 128, subscribe: 256, recover: 512, scan: 1024,
};
const CAP_NAMES = Object.keys(BIT) as Capability[];

/** The merged permissions of one pattern. */
interface Permissions {
  bits: number;
  allowed?: Map<string, unknown[]>;
  denied?: Map<string, unknown[]>;
  required: string[];
  minWrappingTTL: number;
  maxWrappingTTL: number;
}

interface SegmentRule {
  pattern: string;
  /** The pattern without a trailing '*', split on '/'. */
  parts: string[];
  /** Without the trailing '*'. */
  path: string;
  isPrefix: boolean;
  firstWildcard: number;
  wildcardCount: number;
  perms: Permissions;
}

interface Candidate {
  path: string;
  isPrefix: boolean;
  firstWildcard: number;
  wildcardCount: number;
  perms: Permissions;
}

function toMap(params: Record<string, unknown[]> | undefined): Map<string, unknown[]> | undefined {
  if (params === undefined || Object.keys(params).length === 0) return undefined;
  return new Map(Object.entries(params).map(([k, v]) => [k, [...v]]));
}

function permissionsOf(rule: PathRule): Permissions {
  let bits = 0;
  for (const c of rule.capabilities) bits |= BIT[c];
  return {
    bits,
    allowed: toMap(rule.allowedParameters),
    denied: toMap(rule.deniedParameters),
    required: [...(rule.requiredParameters ?? [])],
    minWrappingTTL: rule.minWrappingTTL,
    maxWrappingTTL: rule.maxWrappingTTL,
  };
}

function mergeParams(existing: Map<string, unknown[]> | undefined, incoming: Map<string, unknown[]> | undefined): Map<string, unknown[]> | undefined {
  if (incoming === undefined) return existing;
  if (existing === undefined) return new Map([...incoming].map(([k, v]) => [k, [...v]]));
  for (const [key, values] of incoming) {
    const prev = existing.get(key);
    // An empty list ("any value") in either policy wins; otherwise the value lists are concatenated.
    if (values.length === 0 || (prev !== undefined && prev.length === 0)) existing.set(key, []);
    else existing.set(key, [...values, ...(prev ?? [])]);
  }
  return existing;
}

/** Vault's merge of a rule into the permissions already held for the same pattern. */
function merge(existing: Permissions, incoming: Permissions): void {
  if (existing.bits & BIT.deny) return;
  if (incoming.bits & BIT.deny) {
    existing.bits = BIT.deny;
    existing.allowed = undefined;
    existing.denied = undefined;
    return;
  }
  existing.bits |= incoming.bits;
  // The lower of each wrapping bound is kept.
  if (incoming.maxWrappingTTL > 0 && (existing.maxWrappingTTL === 0 || incoming.maxWrappingTTL < existing.maxWrappingTTL)) {
    existing.maxWrappingTTL = incoming.maxWrappingTTL;
  }
  if (incoming.minWrappingTTL > 0 && (existing.minWrappingTTL === 0 || incoming.minWrappingTTL < existing.minWrappingTTL)) {
    existing.minWrappingTTL = incoming.minWrappingTTL;
  }
  existing.allowed = mergeParams(existing.allowed, incoming.allowed);
  existing.denied = mergeParams(existing.denied, incoming.denied);
  for (const r of incoming.required) if (!existing.required.includes(r)) existing.required.push(r);
}

function isSegmentPattern(pattern: string): boolean {
  return pattern === '+' || pattern.includes('/+') || pattern.startsWith('+/');
}

/** Candidate order (ascending priority), as Vault sorts wildcard matches. */
function lowerPriority(a: Candidate, b: Candidate): boolean {
  if (a.firstWildcard !== b.firstWildcard) return a.firstWildcard < b.firstWildcard;
  if (a.isPrefix !== b.isPrefix) return a.isPrefix;
  if (a.wildcardCount !== b.wildcardCount) return a.wildcardCount > b.wildcardCount;
  if (a.path.length !== b.path.length) return a.path.length < b.path.length;
  return a.path < b.path;
}

/** Glob match of a policy value against a request string: a leading and/or trailing '*'. */
function globMatch(item: string, value: string): boolean {
  if (item.length < 2) return value === item;
  const pre = item.startsWith('*');
  const suf = item.endsWith('*');
  if (pre && suf) return value.includes(item.slice(1, -1));
  if (pre) return value.endsWith(item.slice(1));
  if (suf) return value.startsWith(item.slice(0, -1));
  return value === item;
}

function deepEqual(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (depth > 64 || typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i], depth + 1));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ob = b as Record<string, unknown>;
  const oa = a as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(ob, k) && deepEqual(oa[k], ob[k], depth + 1));
}

/** Whether a request value is among the listed values; an empty list means "any value". */
function valueInList(value: unknown, list: unknown[]): boolean {
  if (list.length === 0) return true;
  for (const el of list) {
    if (el === null || value === null || value === undefined) {
      if (el === value || (el === null && value === undefined)) return true;
    } else if (typeof el === 'string' && typeof value === 'string') {
      if (globMatch(el, value)) return true;
    } else if (deepEqual(el, value)) {
      return true;
    }
  }
  return false;
}

function capabilityFor(op: Operation): number {
  switch (op) {
    case 'read': return BIT.read;
    case 'list': return BIT.list;
    case 'update': return BIT.update;
    case 'delete': return BIT.delete;
    case 'create': return BIT.create;
    case 'patch': return BIT.patch;
    default: return 0;
  }
}

export class ACL {
  private rootFlag = false;
  /** Some rule is templated, so the ACL depends on the token's identity. */
  readonly hasTemplates: boolean;
  /** Epoch ms when a rule of this ACL expires (so a cached ACL must be rebuilt), if any. */
  readonly validUntil: number | undefined;
  private readonly exact = new Map<string, Permissions>();
  private readonly prefix = new Map<string, Permissions>();
  /** Prefix keys, longest first. */
  private prefixOrder: string[] = [];
  private readonly segment = new Map<string, SegmentRule>();

  constructor(policies: Policy[], options: ACLOptions = {}) {
    const now = options.now ?? Date.now();
    this.hasTemplates = policies.some((p) => p.templated);
    let validUntil: number | undefined;
    for (const policy of policies) {
      for (const rule of policy.rules) {
        if (rule.expiresAt !== undefined) {
          if (now >= rule.expiresAt) continue;
          if (validUntil === undefined || rule.expiresAt < validUntil) validUntil = rule.expiresAt;
        }
        const pattern = rule.templated ? resolveTemplate(rule.pattern, options.identity) : rule.pattern;
        if (pattern === undefined || pattern.includes('+*')) continue;
        this.insert(pattern, permissionsOf(rule));
      }
    }
    this.validUntil = validUntil;
    this.prefixOrder = [...this.prefix.keys()].sort((a, b) => b.length - a.length);
  }

  /** The root ACL: every operation on every path, with sudo. */
  static root(): ACL {
    const acl = new ACL([]);
    acl.rootFlag = true;
    return acl;
  }

  /** True for the root ACL, which allows everything. */
  get isRoot(): boolean {
    return this.rootFlag;
  }

  private insert(pattern: string, perms: Permissions): void {
    if (isSegmentPattern(pattern)) {
      const prev = this.segment.get(pattern);
      if (prev !== undefined) {
        merge(prev.perms, perms);
        return;
      }
      const isPrefix = pattern.endsWith('*');
      const path = isPrefix ? pattern.slice(0, -1) : pattern;
      const parts = path.split('/');
      this.segment.set(pattern, {
        pattern, parts, path, isPrefix,
        firstWildcard: pattern.indexOf('+'),
        wildcardCount: parts.filter((p) => p === '+').length,
        perms,
      });
      return;
    }
    const [tree, key] = pattern.endsWith('*') ? [this.prefix, pattern.slice(0, -1)] : [this.exact, pattern];
    const prev = tree.get(key);
    if (prev !== undefined) merge(prev, perms);
    else tree.set(key, perms);
  }

  /** The one rule that governs `path` (already without a leading '/'), or undefined. */
  private match(path: string, list: boolean): Permissions | undefined {
    const exact = this.exact.get(path);
    if (exact !== undefined) return exact;
    if (list && path.endsWith('/')) {
      const bare = this.exact.get(path.slice(0, -1));
      if (bare !== undefined) return bare;
    }
    let best: Candidate | undefined;
    for (const key of this.prefixOrder) {
      if (path.startsWith(key)) {
        best = { path: key, isPrefix: true, firstWildcard: key.length, wildcardCount: 0, perms: this.prefix.get(key)! };
        break;
      }
    }
    if (this.segment.size === 0) return best?.perms;
    const pathParts = path.split('/');
    for (const rule of this.segment.values()) {
      if (rule.pattern === '') continue;
      if (pathParts.length < rule.parts.length) continue;
      if (!rule.isPrefix && rule.parts.length !== pathParts.length) continue;
      let matched = true;
      for (let i = 0; i < rule.parts.length; i++) {
        const part = rule.parts[i]!;
        if (part === '+') continue;
        if (i === rule.parts.length - 1 && rule.isPrefix) {
          if (!pathParts[i]!.startsWith(part)) matched = false;
        } else if (part !== pathParts[i]) {
          matched = false;
        }
        if (!matched) break;
      }
      if (matched && (best === undefined || lowerPriority(best, rule))) best = rule;
    }
    return best?.perms;
  }

  private static clean(path: string): string {
    return path.startsWith('/') ? path.slice(1) : path;
  }

  /** Decides one request (spec §5.3 step 6 with §5.5–5.6). Sudo-path enforcement is the caller's. */
  allowOperation(input: AllowOperationInput): AllowOperationResult {
    if (this.isRoot) return { allowed: true, sudo: true, root: true };
    const deny = (reason: string, perms?: Permissions): AllowOperationResult => ({
      allowed: false,
      sudo: perms !== undefined && (perms.bits & BIT.sudo) !== 0,
      root: false,
      ...wrapping(perms),
      deniedReason: reason,
    });
    const path = ACL.clean(input.path);
    const perms = this.match(path, input.operation === 'list');
    if (perms === undefined) return deny('no policy rule matches the path');
    if (perms.bits & BIT.deny) return deny('denied by an explicit deny rule', perms);
    const needed = capabilityFor(input.operation);
    if (needed === 0 || (perms.bits & needed) === 0) return deny(`the matching rule does not grant "${input.operation}"`, perms);

    if (perms.maxWrappingTTL > 0 && (input.wrapTTL === undefined || input.wrapTTL > perms.maxWrappingTTL)) {
      return deny(input.wrapTTL === undefined ? 'response wrapping is required' : 'wrap TTL above max_wrapping_ttl', perms);
    }
    if (perms.minWrappingTTL > 0 && (input.wrapTTL === undefined || input.wrapTTL < perms.minWrappingTTL)) {
      return deny(input.wrapTTL === undefined ? 'response wrapping is required' : 'wrap TTL below min_wrapping_ttl', perms);
    }
    // Possible after merging even though each single rule is validated.
    if (perms.minWrappingTTL > 0 && perms.maxWrappingTTL > 0 && perms.maxWrappingTTL < perms.minWrappingTTL) {
      return deny('conflicting wrapping TTL bounds', perms);
    }

    const op = input.operation;
    if (op === 'create' || op === 'update' || op === 'patch' || op === 'read') {
      const reason = checkParameters(perms, input.data);
      if (reason !== undefined) return deny(reason, perms);
    }
    return { allowed: true, sudo: (perms.bits & BIT.sudo) !== 0, root: false, ...wrapping(perms) };
  }

  /**
   * Whether the token may learn about the mount at `mountPath` (e.g. "secret/"): the rule that
   * sys/internal/ui/mounts/<path> applies instead of a normal ACL check of its own path, so that a
   * least-privilege token can run the KV preflight. True when some rule grants a capability other
   * than deny on a path at or below the mount (an exact or glob rule inside it, such as
   * "secret/data/app"), or on a pattern that covers the mount from above ("sec*", "*", "+/data/*").
   * A denying rule grants nothing but takes nothing away from another rule's grant: access to the
   * mount's info is not access to any path in it, which the normal checks still decide.
   */
  hasMountAccess(mountPath: string): boolean {
    if (this.isRoot) return true;
    const prefix = mountPath.endsWith('/') ? mountPath : `${mountPath}/`;
    const grants = (perms: Permissions) => (perms.bits & BIT.deny) === 0 && (perms.bits & ~BIT.deny) !== 0;
    // At or below the mount: "secret/", "secret/data/app".
    for (const [key, perms] of this.exact) if (key.startsWith(prefix) && grants(perms)) return true;
    // Globs inside the mount ("secret/data/*") or covering it from above ("secret*", "*").
    for (const [key, perms] of this.prefix) if ((key.startsWith(prefix) || prefix.startsWith(key)) && grants(perms)) return true;
    // '+' rules: the literal part before the first '+' lies inside the mount or leads to it.
    for (const rule of this.segment.values()) {
      const literal = rule.path.slice(0, rule.firstWildcard < 0 ? undefined : rule.firstWildcard);
      if ((literal.startsWith(prefix) || prefix.startsWith(literal)) && grants(rule.perms)) return true;
    }
    return false;
  }

  /**
   * What sys/capabilities reports for a path: ["root"] for root, ["deny"] when nothing matches or
   * the rule denies, else the granted capability names sorted alphabetically.
   */
  capabilities(path: string): string[] {
    if (this.isRoot) return ['root'];
    const perms = this.match(ACL.clean(path), true);
    if (perms === undefined || perms.bits === 0 || (perms.bits & BIT.deny) !== 0) return ['deny'];
    return CAP_NAMES.filter((c) => c !== 'deny' && (perms.bits & BIT[c]) !== 0).sort();
  }
}

function wrapping(perms: Permissions | undefined): { minWrappingTTL?: number; maxWrappingTTL?: number } {
  const out: { minWrappingTTL?: number; maxWrappingTTL?: number } = {};
  if (perms !== undefined && perms.minWrappingTTL > 0) out.minWrappingTTL = perms.minWrappingTTL;
  if (perms !== undefined && perms.maxWrappingTTL > 0) out.maxWrappingTTL = perms.maxWrappingTTL;
  return out;
}

/** Required, denied and allowed parameter checks (spec §5.5); returns a reason when refused. */
function checkParameters(perms: Permissions, data: Record<string, unknown> | undefined): string | undefined {
  const entries = data === undefined || data === null ? [] : Object.entries(data).map(([k, v]) => [k.toLowerCase(), v] as const);
  for (const req of perms.required) {
    const want = req.toLowerCase();
    if (!entries.some(([k]) => k === want)) return `required parameter "${req}" is missing`;
  }
  if (entries.length === 0) return undefined;
  if (perms.denied !== undefined) {
    if (perms.denied.has('*')) return 'all parameters are denied';
    for (const [key, value] of entries) {
      const list = perms.denied.get(key);
      if (list !== undefined && valueInList(value, list)) return `parameter "${key}" is denied`;
    }
  }
  if (perms.allowed === undefined) return undefined;
  const allowAll = perms.allowed.has('*');
  if (allowAll && perms.allowed.size === 1) return undefined;
  for (const [key, value] of entries) {
    const list = perms.allowed.get(key);
    if (list === undefined) {
      if (!allowAll) return `parameter "${key}" is not allowed`;
    } else if (!valueInList(value, list)) {
      return `value of parameter "${key}" is not allowed`;
    }
  }
  return undefined;
}
