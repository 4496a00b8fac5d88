// The request pipeline (DESIGN.md "How a request flows"): operation → state lock (sealed? 503) → token → mount →
// existence check → ACL (+ sudo) → audit request → handler → lease / token for the backend's
// intents → list/204 rules → audit response → wrap. It returns a logical result: the envelope and
// the status codes are http/'s business. It knows no engine and no transport.
import { randomUUID } from 'node:crypto';
import { errorMessages, InvalidRequestError, isUnexpectedError, NotFoundError, PermissionDeniedError, SealedError, UnsupportedPathError } from '../core/errors.js';
import { parseDurationSeconds } from '../lib/duration.js';
import type { AuthIntent, AuthResponse, Operation, Request, ResolvedResponse, Response, SecretIntent, TokenInfo, WrapInfo } from '../framework/types.js';
import type { MountTable, MountedBackend } from './mount-table.js';
import { parseOperation } from './operation.js';
import type { ApiRequest, ApiResponse } from './request.js';

export interface AclDecision {
  allowed: boolean;
  sudo: boolean;
  root: boolean;
  minWrappingTTL?: number;
  maxWrappingTTL?: number;
}

export interface AclLike {
  allowOperation(input: { path: string; operation: Operation; data?: Record<string, unknown>; wrapTTL?: number }): AclDecision;
}

export interface TokenLookup<E> {
  lookup(token: string): Promise<E | undefined>;
  use(entry: E): Promise<boolean>;
  toTokenInfo(entry: E): TokenInfo;
  /** After the response: revokes a token whose last use this request was. */
  finishRequest?(entry: E): Promise<void>;
}

export interface AuditSink {
  enabled(): boolean;
  /** `operation: 'help'` marks a ?help=1 request (the Request itself carries a backend operation). */
  logRequest(input: { request: Request; token?: TokenInfo; operation?: 'help'; error?: string }): Promise<void>;
  logResponse(input: { request: Request; token?: TokenInfo; operation?: 'help'; response?: ResolvedResponse; error?: string; wrapInfo?: WrapInfo }): Promise<void>;
}

/** A successful logical response, ready for the envelope (http/envelope.ts). */
export interface LogicalResponse {
  requestId: string;
  path: string;
  mountType: string;
  status: number;
  response: ResolvedResponse;
}

export interface Wrapper {
  /** Stores the response in a fresh single-use wrapping token's cubbyhole and returns the wrap_info. */
  wrap(result: LogicalResponse, ttl: number, creationPath: string, parent?: TokenInfo): Promise<WrapInfo>;
}

/** What the core does with a backend's intents (DESIGN.md "The backend contract"). */
export interface IntentHandler {
  /** Registers a lease for a secret; returns its id and granted TTL. */
  registerLease(request: Request, secret: SecretIntent): Promise<{ id: string; ttl: number; renewable: boolean; warnings: string[] }>;
  /** The lease could not be registered: revoke the secret now so nothing outlives its record. */
  revokeUnregistered(request: Request, secret: SecretIntent): Promise<void>;
  /** Mints the token a login asked for and registers its lease. */
  issueToken(request: Request, auth: AuthIntent): Promise<AuthResponse>;
}

/** What the pipeline answers; http/respond.ts turns it into status, headers and body. */
export type PipelineResult =
  | { kind: 'empty' }
  | { kind: 'logical'; value: LogicalResponse }
  | { kind: 'wrapped'; wrapInfo: WrapInfo }
  | { kind: 'raw'; status: number; contentType: string; body: string | Uint8Array; headers?: Record<string, string> }
  | { kind: 'help'; help: string }
  /** Answered outside the envelope (sys/init, sys/health…): already in its wire form. */
  | { kind: 'bare'; response: ApiResponse }
  | { kind: 'error'; error: unknown };

/** Where the request went, for metrics. */
export interface RequestMeta {
  mountType: string;
  mountPath: string;
  operation: string;
  /** process.hrtime.bigint() at arrival. */
  started: bigint;
}

/**
 * The server's state lock as the pipeline sees it. A request is admitted before anything else
 * happens and leaves once it is finished (its response audited), so going idle can wait for it
 * instead of tearing services down under it.
 */
export interface RequestGate {
  /** Admits a request; throws SealedError when the server is not serving (sealed, standby, going idle). */
  enter(): void;
  /**
   * The admitted request is finished; `ok` when it succeeded. Returns a promise when the request
   * asked for work to run after it (sys/seal: the seal waits for this and every other request in flight).
   */
  leave(request: Request | undefined, ok: boolean): Promise<void> | undefined;
}

export interface PipelineDeps<E> {
  gate: RequestGate;
  mounts(): MountTable;
  tokens(): TokenLookup<E>;
  acl(policies: string[]): Promise<AclLike>;
  isSudoPath(path: string): boolean;
  audit?: () => AuditSink | undefined;
  wrapper?: () => Wrapper | undefined;
  intents?: () => IntentHandler | undefined;
  /** Endpoints answered outside the envelope and before the seal check (sys/init, sys/health…). */
  bare(req: ApiRequest): Promise<ApiResponse | undefined>;
  onUnexpectedError(err: unknown, req: ApiRequest): void;
}

/** The request a pipeline run built, handed back to the gate when the run is over. */
interface Held {
  request: Request | undefined;
}

export function invalidTokenError(): PermissionDeniedError {
  return new PermissionDeniedError('2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n');
}

export function tokenFromHeaders(headers: Record<string, string | undefined>): string {
  const direct = headers['x-vault-token'];
  if (direct !== undefined && direct !== '') return direct.trim();
  const authz = headers['authorization'];
  if (authz !== undefined) {
    const trimmed = authz.trim();
    if (trimmed.startsWith('Bearer ')) return trimmed.slice('Bearer '.length).trim();
  }
  return '';
}

function matchesSpecial(patterns: string[], rest: string): boolean {
  for (const p of patterns) {
    if (p.endsWith('*') ? rest.startsWith(p.slice(0, -1)) : rest === p || rest === `${p}/`) return true;
  }
  return false;
}

function parseWrapTTL(headers: Record<string, string | undefined>): number {
  const raw = headers['x-vault-wrap-ttl'];
  if (raw === undefined || raw === '') return 0;
  try {
    const ttl = parseDurationSeconds(raw.trim(), 'X-Vault-Wrap-TTL');
    if (ttl === 0) throw new Error('zero');
    return ttl;
  } catch {
    throw new InvalidRequestError('error parsing X-Vault-Wrap-TTL header');
  }
}

export function createPipeline<E>(deps: PipelineDeps<E>) {
  async function authenticate(tokens: TokenLookup<E>, clientToken: string, required: boolean): Promise<{ entry?: E; info?: TokenInfo }> {
    if (clientToken === '') {
      if (required) throw new PermissionDeniedError();
      return {};
    }
    const entry = await tokens.lookup(clientToken);
    if (!entry) {
      if (required) throw invalidTokenError();
      return {};
    }
    return { entry, info: tokens.toTokenInfo(entry) };
  }

  async function handle(api: ApiRequest): Promise<{ result: PipelineResult; meta: RequestMeta }> {
    const meta: RequestMeta = { mountType: '', mountPath: '', operation: api.method.toLowerCase(), started: process.hrtime.bigint() };
    let result: PipelineResult;
    try {
      const bare = await deps.bare(api);
      if (bare) {
        result = { kind: 'bare', response: bare };
        meta.mountType = 'system';
        meta.mountPath = 'sys/';
      } else {
        const parsed = parseOperation(api);
        meta.operation = parsed.operation;
        deps.gate.enter();
        const held: Held = { request: undefined };
        let ok = false;
        try {
          const routed = deps.mounts().match(parsed.path);
          if (routed) {
            meta.mountType = routed.mount.info.type;
            meta.mountPath = routed.mount.info.path;
          }
          result = parsed.help ? await help(api, parsed.path, routed) : await dispatch(api, parsed.operation, parsed.path, parsed.data, routed, held);
          ok = true;
        } finally {
          const after = deps.gate.leave(held.request, ok);
          if (after) await after;
        }
      }
    } catch (err) {
      if (isUnexpectedError(err)) deps.onUnexpectedError(err, api);
      result = { kind: 'error', error: err };
    }
    return { result, meta };
  }

  /**
   * `?help=1`: the path's help text. Any valid token may ask (no ACL check, as in Vault), and the
   * request and its response are audited like every other request, with Vault's operation "help".
   */
  async function help(api: ApiRequest, path: string, routed: { mount: MountedBackend; rest: string } | undefined): Promise<PipelineResult> {
    const clientToken = tokenFromHeaders(api.headers);
    const audit = deps.audit?.();
    const auditing = audit?.enabled() ?? false;
    // Backends never see this request: 'read' only fills the type; the audit entries say "help".
    const request = newRequest(api, 'read', path, {}, routed, 0);
    let info: TokenInfo | undefined;
    try {
      ({ info } = await authenticate(deps.tokens(), clientToken, true));
      request.clientToken = clientToken;
      request.token = info;
    } catch (err) {
      if (auditing && !isUnexpectedError(err)) {
        await audit!.logRequest({ request, token: info, operation: 'help', error: errorMessages(err).join('; ') || 'permission denied' }).catch(() => undefined);
      }
      throw err;
    }
    if (!routed) throw new UnsupportedPathError(path);
    if (auditing) await audit!.logRequest({ request, token: info, operation: 'help' });
    const text = routed.mount.backend.help(routed.rest);
    if (auditing) await audit!.logResponse({ request, token: info, operation: 'help', response: { data: { help: text } } });
    return { kind: 'help', help: text };
  }

  async function dispatch(
    api: ApiRequest, op: Operation, path: string, data: Record<string, unknown>,
    routed: { mount: MountedBackend; rest: string } | undefined, held: Held,
  ): Promise<PipelineResult> {
    const clientToken = tokenFromHeaders(api.headers);
    const wrapTTL = parseWrapTTL(api.headers);
    const unauthenticated = routed !== undefined && matchesSpecial(routed.mount.backend.specialPaths.unauthenticated, routed.rest);
    // Taken once: a request that seals the server (sys/seal) must still finish with these.
    const tokens = deps.tokens();
    const audit = deps.audit?.();
    const auditing = audit?.enabled() ?? false;
    const request = newRequest(api, op, path, data, routed, wrapTTL);
    held.request = request;

    let entry: E | undefined;
    let info: TokenInfo | undefined;
    try {
      ({ entry, info } = await authenticate(tokens, clientToken, !unauthenticated));
      if (info) {
        request.clientToken = clientToken;
        request.token = info;
      }
      if (routed && (op === 'update' || op === 'create')) {
        const exists = await routed.mount.backend.existenceCheck(request);
        if (exists === false) request.operation = 'create';
      }
      if (entry !== undefined && info !== undefined && !unauthenticated) {
        const acl = await deps.acl(info.policies);
        // The ACL also enforces the rule's min/max wrapping TTLs (a bounded rule refuses unwrapped requests).
        const decision = acl.allowOperation({ path, operation: request.operation, data, wrapTTL: wrapTTL || undefined });
        const needsSudo = deps.isSudoPath(path) || (routed !== undefined && matchesSpecial(routed.mount.backend.specialPaths.sudo, routed.rest));
        if (!decision.allowed || (needsSudo && !decision.sudo && !decision.root)) throw new PermissionDeniedError();
        request.sudo = decision.root || decision.sudo;
      }
    } catch (err) {
      // Refused requests leave a trail too: who tried what, and why it was refused.
      if (auditing && !isUnexpectedError(err)) {
        await audit!.logRequest({ request, token: info, error: errorMessages(err).join('; ') || 'permission denied' }).catch(() => undefined);
      }
      throw err;
    }
    if (!routed) throw new UnsupportedPathError(path);

    if (auditing) await audit!.logRequest({ request, token: info });
    const counted = entry !== undefined && !unauthenticated ? entry : undefined;
    if (counted !== undefined && !(await tokens.use(counted))) throw invalidTokenError();

    let resp: ResolvedResponse | undefined;
    try {
      const raw = await routed.mount.backend.handleRequest(request);
      if (op === 'list') checkListResult(raw);
      resp = raw && (await resolveIntents(request, raw));
    } catch (err) {
      if (counted !== undefined) await tokens.finishRequest?.(counted);
      if (auditing) {
        await audit!.logResponse({ request, token: info, error: errorMessages(err).join('; ') || 'error' });
      }
      throw err;
    }
    if (counted !== undefined) await tokens.finishRequest?.(counted);
    const result = await respond(request, path, resp, wrapTTL, info, routed);
    if (auditing) await audit!.logResponse({ request, token: info, response: resp, wrapInfo: result.kind === 'wrapped' ? result.wrapInfo : undefined });
    return result;
  }

  /** Acts on the backend's intents: a lease for `secret`, a token for `auth`. */
  async function resolveIntents(request: Request, resp: Response): Promise<ResolvedResponse> {
    const out: ResolvedResponse = resp;
    if (resp.issuedAuth) out.authBlock = resp.issuedAuth;
    if (!resp.secret && !resp.auth) return out;
    const intents = deps.intents?.();
    if (!intents) throw new SealedError();
    if (resp.secret) {
      const secret = resp.secret;
      try {
        const lease = await intents.registerLease(request, secret);
        out.lease = { id: lease.id, ttl: lease.ttl, renewable: lease.renewable };
        if (lease.warnings.length > 0) out.warnings = [...(out.warnings ?? []), ...lease.warnings];
      } catch (err) {
        // Nothing may outlive its lease record: take the secret back before failing the request.
        await intents.revokeUnregistered(request, secret).catch(() => undefined);
        throw err;
      }
    }
    if (resp.auth) out.authBlock = await intents.issueToken(request, resp.auth);
    return out;
  }

  async function respond(
    request: Request, path: string, resp: ResolvedResponse | undefined, wrapTTL: number, info: TokenInfo | undefined,
    routed: { mount: MountedBackend; rest: string },
  ): Promise<PipelineResult> {
    if (resp === undefined) return { kind: 'empty' };
    if (resp.raw) return { kind: 'raw', status: resp.raw.status, contentType: resp.raw.contentType, body: resp.raw.body, headers: resp.raw.headers };
    const value: LogicalResponse = { requestId: request.id, path, mountType: routed.mount.info.type, status: resp.statusCode ?? 200, response: resp };
    if (wrapTTL > 0 && value.status < 400) {
      const wrapper = deps.wrapper?.();
      if (wrapper) return { kind: 'wrapped', wrapInfo: await wrapper.wrap(value, wrapTTL, path, info) };
    }
    return { kind: 'logical', value };
  }

  return { handle };
}

/** The logical request a pipeline run builds (no token yet). */
function newRequest(
  api: ApiRequest, op: Operation, path: string, data: Record<string, unknown>, routed: { mount: MountedBackend; rest: string } | undefined, wrapTTL: number,
): Request {
  return {
    id: randomUUID(), operation: op, path: routed?.rest ?? path, fullPath: path,
    mount: routed?.mount.info ?? ({} as Request['mount']), data, storage: routed?.mount.storage ?? ({} as Request['storage']),
    clientToken: '', token: undefined, remoteAddress: api.remoteAddress, headers: pickHeaders(api.headers), wrapTTL,
  };
}

/** LIST with nothing to show is a 404 with an empty error list, unless there is other data or warnings. */
function checkListResult(resp: Response | undefined): void {
  if (!resp || resp.raw) return;
  const keys = resp.data?.['keys'];
  const hasKeys = Array.isArray(keys) && keys.length > 0;
  if (hasKeys) return;
  const otherData = resp.data && Object.keys(resp.data).some((k) => k !== 'keys' && k !== 'key_info');
  if (!otherData && !(resp.warnings && resp.warnings.length > 0)) throw new NotFoundError();
}

const FORWARDED_HEADERS = ['user-agent', 'x-forwarded-for', 'content-type', 'x-vault-request'];
function pickHeaders(headers: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of FORWARDED_HEADERS) {
    const v = headers[h];
    if (v !== undefined) out[h] = v;
  }
  return out;
}
