// The request pipeline (DESIGN.md "How a request flows"): operation → sealed? → token → mount →
// existence check → ACL (+ sudo) → audit request → handler → list/204 rules → audit response →
// wrap → envelope. It knows no engine and no transport.
import { randomUUID } from 'node:crypto';
import { AppError, InvalidRequestError, NotFoundError, PermissionDeniedError, SealedError, UnsupportedPathError } from '../core/errors.js';
import { errorToReply } from '../http/status-map.js';
import { buildEnvelope, wrapOnlyEnvelope, type Envelope } from '../http/envelope.js';
import { parseDurationSeconds } from '../lib/duration.js';
import type { Operation, Request, Response, TokenInfo } from '../framework/types.js';
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
  logRequest(input: { request: Request; token?: TokenInfo; error?: string }): Promise<void>;
  logResponse(input: { request: Request; token?: TokenInfo; response?: Response; error?: string; wrapInfo?: Envelope['wrap_info'] }): Promise<void>;
}

export interface Wrapper {
  /** Stores `envelope` in a fresh single-use wrapping token's cubbyhole and returns the wrap_info. */
  wrap(envelope: Envelope, ttl: number, creationPath: string, parent?: TokenInfo): Promise<Envelope['wrap_info']>;
}

export interface PipelineDeps<E> {
  sealed(): boolean;
  mounts(): MountTable;
  tokens(): TokenLookup<E>;
  acl(policies: string[]): Promise<AclLike>;
  isSudoPath(path: string): boolean;
  audit?: () => AuditSink | undefined;
  wrapper?: () => Wrapper | undefined;
  /** Endpoints answered outside the envelope and before the seal check (sys/init, sys/health…). */
  bare(req: ApiRequest): Promise<ApiResponse | undefined>;
  onUnexpectedError(err: unknown, req: ApiRequest): void;
  /** Observes every finished request (metrics). */
  observe?: (info: { mountType: string; mountPath: string; operation: string; status: number; seconds: number }) => void;
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

export function errorResponse(err: unknown): ApiResponse {
  const reply = errorToReply(err);
  return { status: reply.status, json: { errors: reply.errors } };
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

  async function handle(api: ApiRequest): Promise<ApiResponse> {
    const started = process.hrtime.bigint();
    let mountType = '';
    let mountPath = '';
    let operation = api.method.toLowerCase();
    let result: ApiResponse;
    try {
      const bare = await deps.bare(api);
      if (bare) {
        result = bare;
        mountType = 'system';
        mountPath = 'sys/';
      } else {
        const parsed = parseOperation(api);
        operation = parsed.operation;
        if (deps.sealed()) throw new SealedError();
        const routed = deps.mounts().match(parsed.path);
        if (routed) {
          mountType = routed.mount.info.type;
          mountPath = routed.mount.info.path;
        }
        result = parsed.help ? await help(api, parsed.path, routed) : await dispatch(api, parsed.operation, parsed.path, parsed.data, routed);
      }
    } catch (err) {
      if (!(err instanceof AppError) || errorToReply(err).unexpected) deps.onUnexpectedError(err, api);
      result = errorResponse(err);
    }
    deps.observe?.({ mountType, mountPath, operation, status: result.status, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
    return result;
  }

  /** `?help=1`: the path's help text; any valid token may ask (as in Vault). */
  async function help(api: ApiRequest, path: string, routed: { mount: MountedBackend; rest: string } | undefined): Promise<ApiResponse> {
    await authenticate(deps.tokens(), tokenFromHeaders(api.headers), true);
    if (!routed) throw new UnsupportedPathError(path);
    return { status: 200, json: { help: routed.mount.backend.help(routed.rest) } };
  }

  async function dispatch(
    api: ApiRequest, op: Operation, path: string, data: Record<string, unknown>,
    routed: { mount: MountedBackend; rest: string } | undefined,
  ): Promise<ApiResponse> {
    const clientToken = tokenFromHeaders(api.headers);
    const wrapTTL = parseWrapTTL(api.headers);
    const unauthenticated = routed !== undefined && matchesSpecial(routed.mount.backend.specialPaths.unauthenticated, routed.rest);
    // Taken once: a request that seals the server (sys/seal) must still finish with these.
    const tokens = deps.tokens();
    const audit = deps.audit?.();
    const auditing = audit?.enabled() ?? false;
    const request: Request = {
      id: randomUUID(), operation: op, path: routed?.rest ?? path, fullPath: path,
      mount: routed?.mount.info ?? ({} as Request['mount']), data, storage: routed?.mount.storage ?? ({} as Request['storage']),
      clientToken: '', token: undefined, remoteAddress: api.remoteAddress, headers: pickHeaders(api.headers), wrapTTL,
    };

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
      if (auditing && err instanceof AppError) {
        await audit!.logRequest({ request, token: info, error: errorToReply(err).errors.join('; ') || 'permission denied' }).catch(() => undefined);
      }
      throw err;
    }
    if (!routed) throw new UnsupportedPathError(path);

    if (auditing) await audit!.logRequest({ request, token: info });
    const counted = entry !== undefined && !unauthenticated ? entry : undefined;
    if (counted !== undefined && !(await tokens.use(counted))) throw invalidTokenError();

    let resp: Response | undefined;
    try {
      resp = await routed.mount.backend.handleRequest(request);
      if (op === 'list') checkListResult(resp);
    } catch (err) {
      if (counted !== undefined) await tokens.finishRequest?.(counted);
      if (auditing) {
        const reply = errorToReply(err);
        await audit!.logResponse({ request, token: info, error: reply.errors.join('; ') || String(reply.status) });
      }
      throw err;
    }
    if (counted !== undefined) await tokens.finishRequest?.(counted);
    const result = await respond(request, path, resp, wrapTTL, info, routed);
    if (auditing) await audit!.logResponse({ request, token: info, response: resp, wrapInfo: result.wrapInfo ?? undefined });
    return result.api;
  }

  async function respond(
    request: Request, path: string, resp: Response | undefined, wrapTTL: number, info: TokenInfo | undefined,
    routed: { mount: MountedBackend; rest: string },
  ): Promise<{ api: ApiResponse; wrapInfo?: Envelope['wrap_info'] }> {
    if (resp === undefined) return { api: { status: 204 } };
    if (resp.raw) return { api: { status: resp.raw.status, raw: { contentType: resp.raw.contentType, body: resp.raw.body }, headers: resp.raw.headers } };

    const envelope = buildEnvelope(request.id, path, { ...resp, authBlock: resp.issuedAuth }, routed.mount.info.type);
    const status = resp.statusCode ?? 200;
    if (wrapTTL > 0 && status < 400) {
      const wrapper = deps.wrapper?.();
      if (wrapper) {
        const wrapInfo = await wrapper.wrap(envelope, wrapTTL, path, info);
        return { api: { status: 200, json: wrapOnlyEnvelope('', wrapInfo) }, wrapInfo };
      }
    }
    return { api: { status, json: envelope } };
  }

  return { handle };
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
