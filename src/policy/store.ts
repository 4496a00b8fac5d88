// The ACL policy store (spec §2.5): policies kept as their original text under `policy/<name>` in
// the given storage (the barrier-backed sys view), parsed ACLs cached per set of names and dropped
// on every write. Policies take effect at once for existing tokens, which hold names, not contents.
import { InvalidRequestError } from '../core/errors.js';
import type { Storage } from '../storage/backend.js';
import { getJSON, putJSON } from '../storage/json.js';
import { ACL } from './acl.js';
import type { ACLOptions } from './acl.js';
import {
  DEFAULT_POLICY, DEFAULT_POLICY_NAME, IMMUTABLE_POLICIES, NON_ASSIGNABLE_POLICIES, RESPONSE_WRAPPING_POLICY,
  RESPONSE_WRAPPING_POLICY_NAME, ROOT_POLICY_NAME,
} from './builtin.js';
import { parsePolicy } from './parse.js';
import type { Policy } from './parse.js';
import type { PolicyIdentity } from './template.js';

const PREFIX = 'policy/';
const MAX_NAME_LENGTH = 256;
/** Cached ACLs kept at most; the cache is simply emptied when it grows past this. */
const MAX_CACHED_ACLS = 4096;

interface StoredPolicy {
  name: string;
  policy: string;
}

export interface PolicyEntry {
  name: string;
  policy: string;
}

/** Vault's normalisation: trimmed and lower-cased. `changed` tells the caller to warn. */
export function normalizePolicyName(name: string): { name: string; changed: boolean } {
  const normalized = name.trim().toLowerCase();
  return { name: normalized, changed: normalized !== name };
}

/** Why a (normalised) name cannot be a stored policy name, or undefined when it can. */
function policyNameProblem(name: string): string | undefined {
  if (name === '') return 'policy name must not be empty';
  if (name.length > MAX_NAME_LENGTH) return `policy name must be at most ${MAX_NAME_LENGTH} characters`;
  if (name.includes('/')) return 'policy name must not contain "/"';
  if (name === '.' || name === '..') return `invalid policy name "${name}"`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'policy name must not contain control characters';
  if (/\p{Cs}/u.test(name)) return 'policy name must be valid Unicode';
  return undefined;
}

/** Throws InvalidRequestError when a (normalised) name cannot be a stored policy name. */
export function assertValidPolicyName(name: string): void {
  const problem = policyNameProblem(name);
  if (problem !== undefined) throw new InvalidRequestError(problem);
}

const storable = (name: string): boolean => policyNameProblem(name) === undefined;

/** A stored policy that no longer parses (it was validated when written) grants nothing. */
function parseStored(name: string, text: string): Policy | undefined {
  try {
    return parsePolicy(name, text);
  } catch {
    return undefined;
  }
}

export interface PolicyStoreOptions {
  /** Clock for rule expiration, epoch ms; defaults to Date.now. */
  now?: () => number;
}

export function createPolicyStore(storage: Storage, options: PolicyStoreOptions = {}) {
  const now = options.now ?? Date.now;
  const parsed = new Map<string, Policy | null>(); // null: known not to exist
  const acls = new Map<string, ACL>();
  // Bumped on every write so a lookup that raced a write never caches what it read before it.
  let generation = 0;

  const invalidate = (): void => {
    generation++;
    parsed.clear();
    acls.clear();
  };

  async function readStored(name: string): Promise<StoredPolicy | undefined> {
    return getJSON<StoredPolicy>(storage, PREFIX + name);
  }

  async function loadPolicy(name: string): Promise<Policy | undefined> {
    const cached = parsed.get(name);
    if (cached !== undefined) return cached ?? undefined;
    const gen = generation;
    let policy: Policy | undefined;
    if (name === RESPONSE_WRAPPING_POLICY_NAME) {
      policy = parsePolicy(name, RESPONSE_WRAPPING_POLICY);
    } else {
      const stored = await readStored(name);
      if (stored !== undefined) policy = parseStored(name, stored.policy);
      else if (name === DEFAULT_POLICY_NAME) policy = parsePolicy(name, DEFAULT_POLICY);
    }
    if (gen === generation) parsed.set(name, policy ?? null);
    return policy;
  }

  return {
    /** The policy text by name; `root` has empty text; unknown names give undefined. */
    async get(rawName: string): Promise<PolicyEntry | undefined> {
      const { name } = normalizePolicyName(rawName);
      if (name === ROOT_POLICY_NAME) return { name, policy: '' };
      if (name === RESPONSE_WRAPPING_POLICY_NAME) return { name, policy: RESPONSE_WRAPPING_POLICY };
      if (!storable(name)) return undefined;
      const stored = await readStored(name);
      if (stored !== undefined) return { name, policy: stored.policy };
      if (name === DEFAULT_POLICY_NAME) return { name, policy: DEFAULT_POLICY };
      return undefined;
    },

    /** Validates, then stores. A policy that does not parse stores nothing (400). */
    async set(rawName: string, text: string): Promise<void> {
      const { name } = normalizePolicyName(rawName);
      if (IMMUTABLE_POLICIES.includes(name)) throw new InvalidRequestError(`cannot update "${name}" policy`);
      assertValidPolicyName(name);
      parsePolicy(name, text);
      await putJSON(storage, PREFIX + name, { name, policy: text } satisfies StoredPolicy);
      invalidate();
    },

    /** Deletes a policy; deleting a missing one is not an error. */
    async delete(rawName: string): Promise<void> {
      const { name } = normalizePolicyName(rawName);
      if (IMMUTABLE_POLICIES.includes(name)) throw new InvalidRequestError(`cannot delete "${name}" policy`);
      if (name === DEFAULT_POLICY_NAME) throw new InvalidRequestError('cannot delete default policy');
      if (!storable(name)) return;
      await storage.delete(PREFIX + name);
      invalidate();
    },

    /** Names as sys/policy lists them: stored policies sorted (with `default`), then `root` last. */
    async list(): Promise<string[]> {
      const keys = (await storage.list(PREFIX)).filter((k) => !k.endsWith('/') && !NON_ASSIGNABLE_POLICIES.includes(k) && k !== ROOT_POLICY_NAME);
      if (!keys.includes(DEFAULT_POLICY_NAME)) keys.push(DEFAULT_POLICY_NAME);
      keys.sort();
      keys.push(ROOT_POLICY_NAME);
      return keys;
    },

    /**
     * The ACL for a token's policy names: 'root' among them gives the root ACL; unknown names are
     * ignored. Cached per set of names; with an identity, templated rules resolve for it.
     */
    async aclFor(names: string[], identity?: PolicyIdentity): Promise<ACL> {
      const unique = [...new Set(names.map((n) => normalizePolicyName(n).name))].sort();
      if (unique.includes(ROOT_POLICY_NAME)) return ACL.root();
      const key = unique.join('\n');
      const t = now();
      const cached = acls.get(key);
      if (cached !== undefined && (cached.validUntil === undefined || t < cached.validUntil)) {
        if (identity === undefined || !cached.hasTemplates) return cached;
      }
      const gen = generation;
      const policies: Policy[] = [];
      for (const name of unique) {
        if (!storable(name)) continue;
        const p = await loadPolicy(name);
        if (p !== undefined) policies.push(p);
      }
      const aclOptions: ACLOptions = { now: t };
      if (identity !== undefined) aclOptions.identity = identity;
      const acl = new ACL(policies, aclOptions);
      // An ACL specific to one identity is not cached.
      if (gen === generation && (identity === undefined || !acl.hasTemplates)) {
        if (acls.size >= MAX_CACHED_ACLS) acls.clear();
        acls.set(key, acl);
      }
      return acl;
    },

    /** Writes the shipped `default` policy if none is stored (at init and unseal). */
    async ensureDefaults(): Promise<void> {
      if ((await readStored(DEFAULT_POLICY_NAME)) !== undefined) return;
      await putJSON(storage, PREFIX + DEFAULT_POLICY_NAME, { name: DEFAULT_POLICY_NAME, policy: DEFAULT_POLICY } satisfies StoredPolicy);
      invalidate();
    },

    /** Drops every cached policy and ACL (e.g. when another node changed policies). */
    invalidate,
  };
}

export type PolicyStore = ReturnType<typeof createPolicyStore>;
