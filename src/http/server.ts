// The thin transport adapter: node:http (plain) or node:http2 with HTTP/1.1 fallback (TLS),
// body limits, JSON in/out with Vault's exact headers, and LIST over HTTP/1.1. All logic is in the pipeline.
import http from 'node:http';
import http2 from 'node:http2';
import { readFileSync } from 'node:fs';
import net, { type AddressInfo, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { InvalidRequestError, NotFoundError } from '../core/errors.js';
import { errorResponse } from './respond.js';
import type { ApiRequest, ApiResponse } from '../router/request.js';
import { DEFAULT_MAX_BODY, EMPTY_BODY, decodeBody, readBody } from './body.js';
import { attachListRewriter, requestArrivedAsList } from './list-method.js';
import { DEFAULT_JSON_LIMITS, type JsonLimits } from './json-limits.js';

export interface ListenerConfig {
  address: string; // host:port
  tlsDisable: boolean;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  maxRequestSize?: number;
  /** max_json_depth, max_json_string_value_length, …: Vault's defaults for those not given. */
  jsonLimits?: Partial<JsonLimits>;
  /** http_read_header_timeout, http_read_timeout, http_idle_timeout: Vault's defaults for those not given. */
  timeouts?: Partial<ListenerTimeouts>;
}

/** Milliseconds; 0 = none (with Vault's fallbacks, see nodeTimeouts). */
export interface ListenerTimeouts {
  /** Time to receive a request's headers (from the connection, or from the start of the next request). */
  readHeaderMs: number;
  /** Time to receive a whole request, body included. */
  readMs: number;
  /** How long a keep-alive connection may wait for its next request. */
  idleMs: number;
}

/** Vault's defaults: 10 s, 30 s, 5 min. */
export const DEFAULT_LISTENER_TIMEOUTS: Readonly<ListenerTimeouts> = { readHeaderMs: 10_000, readMs: 30_000, idleMs: 300_000 };

/**
 * Vault's timeouts as node's server settings. As in Vault (Go's http.Server), a zero header
 * timeout falls back to the read timeout, and a zero idle timeout to the read timeout, then the
 * header timeout. node checks header and request deadlines every connectionsCheckingInterval
 * (30 s by default, far too coarse for a 10 s timeout): check four times per shortest deadline.
 */
export function nodeTimeouts(t: ListenerTimeouts): { headersTimeout: number; requestTimeout: number; keepAliveTimeout: number; connectionsCheckingInterval: number } {
  const requestTimeout = t.readMs;
  let headersTimeout = t.readHeaderMs || t.readMs;
  // node refuses a header deadline past the request deadline; Go simply hits the earlier one.
  if (requestTimeout > 0 && headersTimeout > requestTimeout) headersTimeout = requestTimeout;
  const keepAliveTimeout = t.idleMs || t.readMs || t.readHeaderMs;
  const deadlines = [headersTimeout, requestTimeout].filter((x) => x > 0);
  const connectionsCheckingInterval = deadlines.length === 0 ? 30_000 : Math.min(5_000, Math.max(250, Math.floor(Math.min(...deadlines) / 4)));
  return { headersTimeout, requestTimeout, keepAliveTimeout, connectionsCheckingInterval };
}

export type ApiHandler = (req: ApiRequest) => Promise<ApiResponse>;
/** Non-/v1 routes (the web UI): return true when handled. */
export type ExtraHandler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => boolean;

const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };

function splitAddress(address: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address.trim());
  if (!m) throw new InvalidRequestError(`invalid listener address "${address}"`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port: Number(m[3]) };
}

/** Decodes the URL path below /v1/, refusing encoded slashes (they would change which mount is hit). */
export function apiPathFromUrl(rawUrl: string): { path: string; query: URLSearchParams } | undefined {
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
  if (!rawPath.startsWith('/v1/') && rawPath !== '/v1') return undefined;
  const encoded = rawPath.slice(4);
  if (/%2f|%5c/i.test(encoded)) throw new InvalidRequestError('invalid path: encoded slashes are not allowed');
  let path: string;
  try {
    path = decodeURIComponent(encoded);
  } catch {
    throw new InvalidRequestError('invalid path: bad percent-encoding');
  }
  return { path, query };
}

/** One buffer with an explicit Content-Length: the response goes out in one write, not as chunks. */
function serialise(resp: ApiResponse): { status: number; headers: Record<string, string>; body: Buffer } {
  const body = resp.raw ? Buffer.from(resp.raw.body) : Buffer.from(resp.json === undefined ? '' : JSON.stringify(resp.json));
  const base = resp.raw ? { 'Content-Type': resp.raw.contentType, 'Cache-Control': 'no-store' } : JSON_HEADERS;
  return { status: resp.status, headers: { ...base, ...resp.headers, 'Content-Length': String(body.length) }, body };
}

export interface RunningServer {
  address: string;
  port: number;
  close(): Promise<void>;
}

export async function startHttpServer(cfg: ListenerConfig, handle: ApiHandler, extra?: ExtraHandler, onError?: (err: unknown) => void): Promise<RunningServer> {
  const limit = cfg.maxRequestSize ?? DEFAULT_MAX_BODY;
  const jsonLimits: JsonLimits = { ...DEFAULT_JSON_LIMITS, ...cfg.jsonLimits };
  const timeouts = nodeTimeouts({ ...DEFAULT_LISTENER_TIMEOUTS, ...cfg.timeouts });

  async function toApiRequest(method: string, rawUrl: string, headers: Record<string, string | undefined>, remote: string, body: Buffer): Promise<ApiRequest | ApiResponse> {
    try {
      const target = apiPathFromUrl(rawUrl);
      if (!target) throw new NotFoundError();
      return { method, path: target.path, query: target.query, body: decodeBody(body, headers['content-type'], jsonLimits), headers, remoteAddress: remote };
    } catch (err) {
      return errorResponse(err);
    }
  }

  async function onRequest(req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse, method: string): Promise<void> {
    let out: ApiResponse;
    try {
      if (extra && extra(req, res)) return;
      const declared = req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : undefined;
      // An HTTP/1.1 request with neither Content-Length nor Transfer-Encoding has no body by definition.
      const bodyless = req.httpVersionMajor === 1 && declared === undefined && req.headers['transfer-encoding'] === undefined;
      const body = bodyless ? EMPTY_BODY : await readBody(req, limit, declared);
      const headers = req.headers as Record<string, string | undefined>;
      const api = await toApiRequest(method, req.url ?? '/', headers, req.socket?.remoteAddress ?? '', body);
      out = 'status' in api ? api : await handle(api);
      if (method === 'HEAD') out = { ...out, json: undefined, raw: undefined };
    } catch (err) {
      out = errorResponse(err);
      if (out.status === 413) res.setHeader('Connection', 'close');
      else onError?.(err);
    }
    const s = serialise(out);
    res.writeHead(s.status, s.headers);
    res.end(s.body);
  }

  function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    // Only HTTP parse errors get an answer. A client too slow with its headers or body
    // (ERR_HTTP_REQUEST_TIMEOUT) is cut off without one, as Go's server does, and so is a failed
    // or timed-out TLS handshake (the TLS server reports those here too: no HTTP can be written).
    if (!err.code?.startsWith('HPE_')) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  const listener = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    // Asked for every request, in order: an HTTP/1.1 LIST reached node as LINK (list-method.ts).
    const wasList = requestArrivedAsList(req.socket);
    const method = wasList && req.method === 'LINK' ? 'LIST' : (req.method ?? 'GET');
    onRequest(req, res, method).catch((err: unknown) => { onError?.(err); if (!res.headersSent) { res.writeHead(500, JSON_HEADERS); res.end('{"errors":["internal error"]}'); } });
  };

  let server: http.Server | http2.Http2SecureServer;
  if (cfg.tlsDisable) {
    server = http.createServer(timeouts, listener);
    // After node's own connection listener: the parser is set up, the framer goes in front of it.
    server.on('connection', attachListRewriter);
    server.on('clientError', onClientError);
  } else {
    if (!cfg.tlsCertFile || !cfg.tlsKeyFile) throw new InvalidRequestError('listener: tls_cert_file and tls_key_file are required unless tls_disable is set');
    const secure = http2.createSecureServer({
      cert: readFileSync(cfg.tlsCertFile), key: readFileSync(cfg.tlsKeyFile), allowHTTP1: true,
      // A TLS handshake is part of reading the first request's headers.
      ...(timeouts.headersTimeout > 0 ? { handshakeTimeout: timeouts.headersTimeout } : {}),
    }, listener);
    // HTTP/1.1 over TLS is served by node's HTTP/1 machinery, which reads these from the server.
    Object.assign(secure, timeouts);
    secure.on('secureConnection', (socket: TLSSocket) => { if (socket.alpnProtocol !== 'h2') attachListRewriter(socket); });
    secure.on('clientError', onClientError as never);
    if (timeouts.keepAliveTimeout > 0) {
      const openStreams = new WeakMap<http2.Http2Session, number>();
      // HTTP/2: a session with no stream open for the idle timeout is closed (GOAWAY), as in Go.
      // With a 'timeout' listener installed, timed-out HTTP/1.1 sockets are ours to destroy too.
      secure.setTimeout(timeouts.keepAliveTimeout);
      secure.on('session', (session) => { openStreams.set(session, 0); });
      secure.on('stream', (stream) => {
        const session = stream.session;
        if (!session) return;
        openStreams.set(session, (openStreams.get(session) ?? 0) + 1);
        stream.once('close', () => openStreams.set(session, Math.max(0, (openStreams.get(session) ?? 1) - 1)));
      });
      secure.on('timeout', (conn: http2.Http2Session | Socket) => {
        if (conn instanceof net.Socket) conn.destroy();
        else if ((openStreams.get(conn) ?? 0) === 0) conn.close();
      });
    }
    server = secure;
  }
  const { host, port } = splitAddress(cfg.address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  const addr = server.address() as AddressInfo;
  const scheme = cfg.tlsDisable ? 'http' : 'https';
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address === '0.0.0.0' ? '127.0.0.1' : addr.address;
  return {
    address: `${scheme}://${shownHost}:${addr.port}`,
    port: addr.port,
    close: () => new Promise<void>((resolve) => {
      if ('closeAllConnections' in server) server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
