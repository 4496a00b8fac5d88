// Response wrapping (spec §1.8, §2.11): the real response is kept in the cubbyhole of a fresh,
// single-use, orphan token with the response-wrapping policy; the client gets only wrap_info.
import { InvalidRequestError, PermissionDeniedError } from '../core/errors.js';
import { definePath, type PathDef } from '../framework/backend.js';
import type { TokenInfo } from '../framework/types.js';
import { buildEnvelope, wrapOnlyEnvelope, type Envelope, type WrapInfo } from '../http/envelope.js';
import { createKeyedMutex } from '../lib/keyed-mutex.js';
import type { Storage } from '../storage/backend.js';
import { getJSON, putJSON } from '../storage/json.js';
import type { TokenEntry, TokenStore } from '../auth/token/store.js';
import type { LogicalResponse, Wrapper } from '../router/pipeline.js';

export const WRAPPING_POLICY = 'response-wrapping';
const NOT_VALID = 'wrapping token is not valid or does not exist';

interface StoredWrap {
  response: string;
  creation_path: string;
  creation_time: string;
  creation_ttl: number;
}

export interface WrappingDeps {
  tokens(): TokenStore;
  /** The cubbyhole mount's storage (namespaced per token by cubbyhole id). */
  cubbyholeStorage(): Storage;
}

export function createWrapping(deps: WrappingDeps) {
  const lock = createKeyedMutex();
  const keyFor = (entry: TokenEntry) => `${entry.cubbyholeId}/response`;
  const metaFor = (entry: TokenEntry) => `${entry.cubbyholeId}/wrapinfo`;

  /** Stores an envelope in a fresh wrapping token's cubbyhole. */
  async function wrapEnvelope(envelope: Envelope, ttl: number, creationPath: string): Promise<WrapInfo> {
    const { token, entry } = await deps.tokens().create({
      policies: [WRAPPING_POLICY], internal: true, ttl, explicitMaxTTL: ttl, numUses: 1, renewable: false, displayName: 'response-wrapping', path: creationPath,
    });
    const creationTime = new Date(entry.issueTimeMs).toISOString();
    const stored: StoredWrap = { response: JSON.stringify(envelope), creation_path: creationPath, creation_time: creationTime, creation_ttl: ttl };
    // The legacy read of cubbyhole/response shows {response: "<json>"}; the metadata lives beside it.
    await putJSON(deps.cubbyholeStorage(), keyFor(entry), { response: stored.response });
    await putJSON(deps.cubbyholeStorage(), metaFor(entry), { creation_path: creationPath, creation_time: creationTime, creation_ttl: ttl });
    const info: WrapInfo = { token, accessor: entry.accessor, ttl, creation_time: creationTime, creation_path: creationPath };
    const auth = envelope.auth as { accessor?: string } | null;
    if (auth?.accessor) info.wrapped_accessor = auth.accessor;
    return info;
  }

  const wrapper: Wrapper = {
    wrap: (result: LogicalResponse, ttl: number, creationPath: string) =>
      wrapEnvelope(buildEnvelope(result.requestId, result.path, result.response, result.mountType), ttl, creationPath),
  };

  async function wrappingEntry(token: string): Promise<TokenEntry> {
    if (token === '') throw new InvalidRequestError(NOT_VALID);
    const entry = await deps.tokens().lookupIncludingLastUse(token);
    if (!entry || !entry.policies.includes(WRAPPING_POLICY) || entry.cubbyholeId === '') throw new InvalidRequestError(NOT_VALID);
    return entry;
  }

  async function read(entry: TokenEntry): Promise<StoredWrap> {
    const body = await getJSON<{ response: string }>(deps.cubbyholeStorage(), keyFor(entry));
    const meta = await getJSON<Omit<StoredWrap, 'response'>>(deps.cubbyholeStorage(), metaFor(entry));
    if (!body || !meta) throw new InvalidRequestError(NOT_VALID);
    return { response: body.response, ...meta };
  }

  /** Reads and destroys in one step: a wrapping token works once, even under concurrent unwraps. */
  async function consume(token: string): Promise<StoredWrap> {
    const entry = await wrappingEntry(token);
    return lock.run(entry.id, async () => {
      const current = await wrappingEntry(token);
      const stored = await read(current);
      await deps.tokens().revokeTree(current);
      return stored;
    });
  }

  /** Which token an unwrap/rewrap is about: the body's `token`, else the caller's own (a wrapping token). */
  function target(clientToken: string, caller: TokenInfo | undefined, bodyToken: string): string {
    if (bodyToken === '') return clientToken;
    if (!caller) throw new PermissionDeniedError();
    if (bodyToken === clientToken) throw new InvalidRequestError('wrapping token cannot be used in both the header and the body');
    return bodyToken;
  }

  const paths: PathDef[] = [
    definePath({
      pattern: 'wrapping/wrap',
      takesArbitraryInput: true,
      operations: {
        update: async (req) => {
          if (req.wrapTTL === 0) throw new InvalidRequestError('endpoint requires response wrapping to be used');
          if (Object.keys(req.data).length === 0) throw new InvalidRequestError('no data provided');
          return { data: req.data };
        },
      },
      help: 'Wrap arbitrary data in a single-use token.',
    }),
    definePath({
      pattern: 'wrapping/unwrap',
      fields: { token: { type: 'string' } },
      operations: {
        update: async (req, d) => {
          const stored = await consume(target(req.clientToken, req.token, d.string('token')));
          const original = JSON.parse(stored.response) as Envelope;
          const { mount_type: _ignored, ...rest } = original;
          // The original envelope comes back verbatim, with a new request id.
          return { raw: { status: 200, contentType: 'application/json', body: JSON.stringify({ ...rest, request_id: req.id }) } };
        },
      },
      help: 'Return the wrapped response and invalidate the wrapping token.',
    }),
    definePath({
      pattern: 'wrapping/lookup',
      fields: { token: { type: 'string' } },
      operations: {
        update: async (req, d) => {
          const entry = await wrappingEntry(d.string('token') || req.clientToken);
          const stored = await read(entry);
          return { data: { creation_path: stored.creation_path, creation_time: stored.creation_time, creation_ttl: stored.creation_ttl } };
        },
      },
      help: 'Look up a wrapping token without using it.',
    }),
    definePath({
      pattern: 'wrapping/rewrap',
      fields: { token: { type: 'string' } },
      operations: {
        update: async (req, d) => {
          const stored = await consume(target(req.clientToken, req.token, d.string('token')));
          const info = await wrapEnvelope(JSON.parse(stored.response) as Envelope, stored.creation_ttl, stored.creation_path);
          return { raw: { status: 200, contentType: 'application/json', body: JSON.stringify(wrapOnlyEnvelope(req.id, info)) } };
        },
      },
      help: 'Re-wrap a wrapped response in a new token with the same TTL.',
    }),
  ];

  return { wrapper, paths };
}
