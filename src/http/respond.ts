// Turns the pipeline's logical result into the wire: status code, Vault envelope or error body.
// The one place (with status-map.ts) that knows HTTP status rules for API responses.
import type { ApiResponse } from '../router/request.js';
import type { PipelineResult } from '../router/pipeline.js';
import { buildEnvelope, wrapOnlyEnvelope } from './envelope.js';
import { errorToReply } from './status-map.js';

export function errorResponse(err: unknown): ApiResponse {
  const reply = errorToReply(err);
  return { status: reply.status, json: { errors: reply.errors } };
}

export function toApiResponse(result: PipelineResult): ApiResponse {
  switch (result.kind) {
    case 'empty':
      return { status: 204 };
    case 'logical': {
      const v = result.value;
      return { status: v.status, json: buildEnvelope(v.requestId, v.path, v.response, v.mountType) };
    }
    case 'wrapped':
      return { status: 200, json: wrapOnlyEnvelope('', result.wrapInfo) };
    case 'raw':
      return { status: result.status, raw: { contentType: result.contentType, body: result.body }, headers: result.headers };
    case 'help':
      return { status: 200, json: { help: result.help } };
    case 'bare':
      return result.response;
    case 'error':
      return errorResponse(result.error);
  }
}
