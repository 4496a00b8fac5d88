// The thin transport adapter: node:http (plain) or node:http2 with HTTP/1.1 fallback (TLS),
// body limits, JSON in/out with Vault's exact headers, and the LIST shim. All logic is in the pipeline.
import http from 'node:http';
import http2 from 'node:http2';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { InvalidRequestError, NotFoundError } from '../core/errors.js';
import { errorResponse } from './respond.js';
import type { ApiRequest, ApiResponse } from '../router/request.js';
import { DEFAULT_MAX_BODY, EMPTY_BODY, decodeBody, readBody } from './body.js';
import { parseRawListPacket, writeRawResponse } from './list-shim.js';
import { DEFAULT_JSON_LIMITS, type JsonLimits } from './json-limits.js';

export interface ListenerConfig {
  address: string; // host:port
  tlsDisable: boolean;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  maxRequestSize?: number;
  /** max_json_depth, max_json_string_value_length, …: Vault's defaults for those not given. */
  jsonLimits?: Partial<JsonLimits>;
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

  async function toApiRequest(method: string, rawUrl: string, headers: Record<string, string | undefined>, remote: string, body: Buffer): Promise<ApiRequest | ApiResponse> {
    try {
      const target = apiPathFromUrl(rawUrl);
      if (!target) throw new NotFoundError();
      return { method, path: target.path, query: target.query, body: decodeBody(body, headers['content-type'], jsonLimits), headers, remoteAddress: remote };
    } catch (err) {
      return errorResponse(err);
    }
  }

  async function onRequest(req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): Promise<void> {
    let out: ApiResponse;
    try {
      if (extra && extra(req, res)) return;
      const declared = req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : undefined;
      // An HTTP/1.1 request with neither Content-Length nor Transfer-Encoding has no body by definition.
      const bodyless = req.httpVersionMajor === 1 && declared === undefined && req.headers['transfer-encoding'] === undefined;
      const body = bodyless ? EMPTY_BODY : await readBody(req, limit, declared);
      const headers = req.headers as Record<string, string | undefined>;
      const api = await toApiRequest(req.method ?? 'GET', req.url ?? '/', headers, req.socket?.remoteAddress ?? '', body);
      out = 'status' in api ? api : await handle(api);
      if (req.method === 'HEAD') out = { ...out, json: undefined, raw: undefined };
    } catch (err) {
      out = errorResponse(err);
      if (out.status === 413) res.setHeader('Connection', 'close');
      else onError?.(err);
    }
    const s = serialise(out);
    res.writeHead(s.status, s.headers);
    res.end(s.body);
  }

  function onClientError(err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket): void {
    if (err.code === 'HPE_INVALID_METHOD' && err.rawPacket && err.rawPacket.subarray(0, 5).toString('latin1') === 'LIST ') {
      const parsed = parseRawListPacket(err.rawPacket);
      if (!parsed) {
        writeRawResponse(socket, 400, 'Bad Request', JSON_HEADERS, JSON.stringify({ errors: ['could not read LIST request; use GET with ?list=true'] }));
        return;
      }
      void (async () => {
        const api = await toApiRequest('LIST', parsed.target, parsed.headers, socket.remoteAddress ?? '', parsed.body);
        const out = 'status' in api ? api : await handle(api);
        const s = serialise(out);
        writeRawResponse(socket, s.status, http.STATUS_CODES[s.status] ?? '', s.headers, s.body);
      })().catch((e: unknown) => { onError?.(e); socket.destroy(); });
      return;
    }
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  }

  const listener = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    onRequest(req, res).catch((err: unknown) => { onError?.(err); if (!res.headersSent) { res.writeHead(500, JSON_HEADERS); res.end('{"errors":["internal error"]}'); } });
  };

  let server: http.Server | http2.Http2SecureServer;
  if (cfg.tlsDisable) {
    server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 120_000 }, listener);
    server.on('clientError', onClientError);
  } else {
    if (!cfg.tlsCertFile || !cfg.tlsKeyFile) throw new InvalidRequestError('listener: tls_cert_file and tls_key_file are required unless tls_disable is set');
    server = http2.createSecureServer({ cert: readFileSync(cfg.tlsCertFile), key: readFileSync(cfg.tlsKeyFile), allowHTTP1: true }, listener);
    server.on('clientError', onClientError as never);
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
