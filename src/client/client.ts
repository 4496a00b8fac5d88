// Typed HTTP client for the Vault-compatible API (/v1/…). Used by the CLI and the agent; it imports
// nothing from the server. One request = one node:http(s) call; LIST is sent as `GET ?list=true`
// because Node's own HTTP parser (and so our server's) rejects the LIST verb.
import { readFileSync } from 'node:fs';
import type { RequestOptions as HttpsRequestOptions } from 'node:https';

export type Method = 'GET' | 'LIST' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';

export type QueryValue = string | number | boolean | readonly string[] | undefined;

export interface RequestOptions {
  /** JSON-serialised unless it is already a string or bytes. */
  body?: unknown;
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /**
   * Response wrapping: sent as `X-Vault-Wrap-TTL` (e.g. `300` or `5m`); the server then answers with
   * an envelope holding only `wrap_info`.
   */
  wrapTTL?: string;
}

/** Per-call options of the read/write/list helpers. */
export type CallOptions = Pick<RequestOptions, 'wrapTTL'>;

export interface ApiResponse<T = unknown> {
  status: number;
  /** Parsed JSON body; null for an empty body (204). */
  body: T | null;
}

/** The `auth` block of a response (logins and token creation). */
export interface SecretAuth {
  client_token: string;
  accessor: string;
  policies: string[] | null;
  token_policies?: string[] | null;
  identity_policies?: string[] | null;
  metadata: Record<string, string> | null;
  lease_duration: number;
  renewable: boolean;
  entity_id?: string;
  token_type?: string;
  orphan?: boolean;
  num_uses?: number;
}

export interface WrapInfo {
  token: string;
  accessor: string;
  ttl: number;
  creation_time: string;
  creation_path: string;
  wrapped_accessor?: string;
}

/** The standard response envelope of logical paths. */
export interface Secret<T = Record<string, unknown>> {
  request_id: string;
  lease_id: string;
  renewable: boolean;
  lease_duration: number;
  data: T | null;
  wrap_info: WrapInfo | null;
  warnings: string[] | null;
  auth: SecretAuth | null;
  mount_type?: string;
}

export interface ClientOptions {
  /** Base address, e.g. `http://127.0.0.1:8200`. */
  address: string;
  token?: string;
  namespace?: string;
  /** Path of a PEM CA bundle, or the PEM text itself. */
  caCert?: string;
  /** Skip TLS certificate verification (dev only). */
  insecure?: boolean;
  /** Per-request timeout; default 60 s. */
  timeoutMs?: number;
  /** Sent as User-Agent. */
  userAgent?: string;
}

/** The server answered with a status ≥ 400. `errors` is the server's `errors` array. */
export class ApiError extends Error {
  readonly status: number;
  readonly errors: string[];
  readonly method: string;
  readonly path: string;
  /** The parsed body, kept for the few 404s that carry a full envelope (KV v2 deleted versions). */
  readonly body: unknown;
  constructor(status: number, errors: string[], method: string, path: string, body: unknown) {
    super(errors.length > 0 ? errors.join('; ') : `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.errors = errors;
    this.method = method;
    this.path = path;
    this.body = body;
  }
}

/** The request never got an HTTP answer (refused, DNS, TLS, timeout). `code` is Node's error code. */
export class ConnectionError extends Error {
  readonly code: string;
  readonly address: string;
  constructor(address: string, code: string, message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'ConnectionError';
    this.code = code;
    this.address = address;
  }
}

const MAX_REDIRECTS = 5;

export function createClient(options: ClientOptions) {
  const base = parseAddress(options.address);
  const ca = options.caCert === undefined || options.caCert === '' ? undefined : loadCa(options.caCert);
  const timeoutMs = options.timeoutMs ?? 60_000;
  let token = options.token;
  let namespace = options.namespace;

  async function request<T = unknown>(method: Method, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const apiPath = normalisePath(path);
    const query: Record<string, QueryValue> = { ...opts.query };
    let verb: string = method;
    if (method === 'LIST') {
      verb = 'GET';
      query['list'] = 'true';
    }
    const headers: Record<string, string> = { 'X-Vault-Request': 'true', ...opts.headers };
    if (options.userAgent) headers['User-Agent'] = options.userAgent;
    if (token) headers['X-Vault-Token'] = token;
    if (namespace) headers['X-Vault-Namespace'] = namespace;
    if (opts.wrapTTL) headers['X-Vault-Wrap-TTL'] = opts.wrapTTL;
    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      payload = typeof opts.body === 'string' ? Buffer.from(opts.body)
        : opts.body instanceof Uint8Array ? Buffer.from(opts.body)
        : Buffer.from(JSON.stringify(opts.body));
      if (!hasHeader(headers, 'content-type')) {
        headers['Content-Type'] = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
      }
    }
    let url = new URL(`${base.pathname}v1/${apiPath}${encodeQuery(query)}`, base.origin);
    for (let hop = 0; ; hop++) {
      const res = await send(verb, url, headers, payload);
      if ((res.status === 307 || res.status === 308 || res.status === 302) && res.location && hop < MAX_REDIRECTS) {
        url = new URL(res.location, url);
        continue;
      }
      const parsed = parseBody(res.text);
      if (res.status >= 400) {
        throw new ApiError(res.status, extractErrors(parsed, res.text), method, apiPath, parsed);
      }
      return { status: res.status, body: parsed as T | null };
    }
  }

  async function send(method: string, url: URL, headers: Record<string, string>, payload: Buffer | undefined) {
    const isHttps = url.protocol === 'https:';
    // Loaded per use: node:https pulls in TLS, which a plain-HTTP CLI call should not pay for.
    const transport = isHttps ? await import('node:https') : await import('node:http');
    return new Promise<{ status: number; text: string; location: string | undefined }>((resolve, reject) => {
      const reqHeaders: Record<string, string | number> = { ...headers };
      if (payload) reqHeaders['Content-Length'] = payload.length;
      const reqOptions: HttpsRequestOptions = { method, headers: reqHeaders, timeout: timeoutMs };
      if (isHttps) {
        if (ca) reqOptions.ca = ca;
        if (options.insecure) reqOptions.rejectUnauthorized = false;
      }
      const req = transport.request(url, reqOptions, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(toConnectionError(url, err)));
        res.on('end', () => resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          location: res.headers.location,
        }));
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`request timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', (err) => reject(toConnectionError(url, err)));
      req.end(payload);
    });
  }

  /** GET; null on a plain 404. A 404 that carries data or warnings (KV v2 deleted version) is returned. */
  async function read<T = Record<string, unknown>>(path: string, query?: Record<string, QueryValue>, call: CallOptions = {}): Promise<Secret<T> | null> {
    try {
      return (await request<Secret<T>>('GET', path, { query, ...call })).body;
    } catch (err) {
      return notFoundToNull<Secret<T>>(err);
    }
  }

  /** POST/PUT the body; null for a 204. */
  async function write<T = Record<string, unknown>>(path: string, body: unknown = {}, call: CallOptions = {}): Promise<Secret<T> | null> {
    return (await request<Secret<T>>('PUT', path, { body, ...call })).body;
  }

  /** LIST; null when there is nothing (the server answers 404 for an empty list). */
  async function list(path: string, call: CallOptions = {}): Promise<Secret<{ keys: string[] } & Record<string, unknown>> | null> {
    try {
      return (await request<Secret<{ keys: string[] }>>('LIST', path, call)).body;
    } catch (err) {
      return notFoundToNull(err);
    }
  }

  /** DELETE; query parameters become request data as the server expects. */
  async function del<T = Record<string, unknown>>(path: string, query?: Record<string, QueryValue>): Promise<Secret<T> | null> {
    return (await request<Secret<T>>('DELETE', path, { query })).body;
  }

  /** PATCH with `application/merge-patch+json`. */
  async function patch<T = Record<string, unknown>>(path: string, body: unknown): Promise<Secret<T> | null> {
    return (await request<Secret<T>>('PATCH', path, { body })).body;
  }

  return {
    address: base.origin + base.pathname.replace(/\/$/, ''),
    request,
    read,
    write,
    list,
    delete: del,
    patch,
    get token() { return token; },
    setToken(next: string | undefined) { token = next; },
    get namespace() { return namespace; },
    setNamespace(next: string | undefined) { namespace = next; },
  };
}

export type Client = ReturnType<typeof createClient>;

function notFoundToNull<T>(err: unknown): T | null {
  if (err instanceof ApiError && err.status === 404) {
    const body = err.body as Partial<Secret> | null;
    if (body && typeof body === 'object' && (body.data != null || (body.warnings?.length ?? 0) > 0)) return body as T;
    return null;
  }
  throw err;
}

function parseAddress(address: string): URL {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new TypeError(`invalid address ${JSON.stringify(address)}: expected a URL such as http://127.0.0.1:8200`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`invalid address ${JSON.stringify(address)}: the scheme must be http or https`);
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

function loadCa(caCert: string): string {
  if (caCert.includes('-----BEGIN')) return caCert;
  return readFileSync(caCert, 'utf8');
}

/** Strips leading slashes and a leading `v1/`; keeps the rest verbatim (segments are the caller's). */
export function normalisePath(path: string): string {
  let p = path.replace(/^\/+/, '');
  if (p.startsWith('v1/')) p = p.slice(3);
  return p.split('/').map((seg) => encodeURIComponent(seg).replace(/%40/g, '@').replace(/%3A/gi, ':')).join('/');
}

export function encodeQuery(query: Record<string, QueryValue>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, v);
    else params.append(key, String(value));
  }
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}

function parseBody(text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The server's `errors` array, with Go multierror wrapping ("1 error occurred:\n\t* x\n\n") unwrapped. */
export function extractErrors(parsed: unknown, text: string): string[] {
  if (parsed && typeof parsed === 'object' && Array.isArray((parsed as { errors?: unknown }).errors)) {
    const out: string[] = [];
    for (const e of (parsed as { errors: unknown[] }).errors) {
      if (typeof e !== 'string') continue;
      const m = /^\d+ errors? occurred:\n((?:\t\* .*\n?)+)/.exec(e);
      if (m) for (const line of m[1]!.split('\n')) { if (line.startsWith('\t* ')) out.push(line.slice(3)); }
      else out.push(e);
    }
    return out;
  }
  const t = text.trim();
  return parsed === null && t !== '' ? [t.length > 200 ? `${t.slice(0, 200)}…` : t] : [];
}

function toConnectionError(url: URL, err: Error): ConnectionError {
  const code = (err as NodeJS.ErrnoException).code ?? 'ECONNECTION';
  return new ConnectionError(url.origin, code, err.message, err);
}
