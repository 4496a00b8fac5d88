// Maps an HTTP request to Vault's logical operation and request data (spec §1.1), and validates
// the path. Everything here is cheap string work on the hot path.
import { AppError, InvalidRequestError, NotFoundError, UnsupportedOperationError } from '../core/errors.js';
import { parseBool } from '../framework/field-types.js';
import type { Operation } from '../framework/types.js';
import type { ApiRequest } from './request.js';

export interface ParsedRequest {
  operation: Operation;
  /** Path below /v1/ (list operations end with '/'). */
  path: string;
  data: Record<string, unknown>;
  help: boolean;
}

const RESERVED_QUERY = new Set(['list', 'help', 'scan']);

export function validatePath(path: string): void {
  if (path.length > 4096) throw new InvalidRequestError('path too long');
  const segments = path.split('/');
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s === '') {
      if (i === segments.length - 1) continue; // trailing slash
      throw new InvalidRequestError('invalid path: empty segment');
    }
    if (s === '.' || s === '..') throw new InvalidRequestError('invalid path: relative segments are not allowed');
    if (s.endsWith('.')) throw new NotFoundError();
    if (s.includes('\0')) throw new InvalidRequestError('invalid path: NUL byte');
  }
}

function queryData(query: URLSearchParams): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [k, v] of query) {
    if (RESERVED_QUERY.has(k)) continue;
    // Repeated keys become lists, as Go's url.Values would give them.
    const prev = data[k];
    if (prev === undefined) data[k] = v;
    else data[k] = Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return data;
}

function bodyData(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidRequestError('request body must be a JSON object');
  return body as Record<string, unknown>;
}

export function parseOperation(req: ApiRequest): ParsedRequest {
  let path = req.path;
  validatePath(path);
  const help = req.query.has('help') && req.query.get('help') !== '' && req.query.get('help') !== '0' && req.query.get('help') !== 'false';
  switch (req.method) {
    case 'GET': {
      const list = req.query.get('list');
      if (list !== null && req.query.has('scan')) throw new InvalidRequestError('list and scan cannot be used together');
      if (list !== null && parseGoBool(list, 'list')) {
        if (!path.endsWith('/')) path += '/';
        return { operation: 'list', path, data: queryData(req.query), help };
      }
      return { operation: 'read', path, data: queryData(req.query), help };
    }
    case 'LIST':
      if (!path.endsWith('/')) path += '/';
      return { operation: 'list', path, data: { ...queryData(req.query), ...bodyData(req.body) }, help };
    case 'POST':
    case 'PUT':
      return { operation: 'update', path, data: bodyData(req.body), help };
    case 'PATCH': {
      const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (ct !== 'application/merge-patch+json') {
        throw new AppError('ERR_UNSUPPORTED_MEDIA_TYPE', `PATCH requires Content-Type application/merge-patch+json`);
      }
      return { operation: 'patch', path, data: bodyData(req.body), help };
    }
    case 'DELETE':
      return { operation: 'delete', path, data: { ...queryData(req.query), ...bodyData(req.body) }, help };
    default:
      throw new UnsupportedOperationError('');
  }
}

function parseGoBool(v: string, field: string): boolean {
  try {
    return parseBool(v, field);
  } catch {
    throw new InvalidRequestError(`invalid value for "${field}": must be a boolean`);
  }
}
