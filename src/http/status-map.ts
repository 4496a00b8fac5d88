// The one place where typed errors become HTTP: a status code and Vault's {"errors":[...]} body.
import { AppError, errorMessages, isUnexpectedError, type ErrorCode } from '../core/errors.js';

const STATUS: Record<ErrorCode, number> = {
  ERR_INVALID_REQUEST: 400,
  ERR_NOT_INITIALIZED: 400,
  ERR_PERMISSION_DENIED: 403,
  ERR_NOT_FOUND: 404,
  ERR_UNSUPPORTED_PATH: 404,
  ERR_UNSUPPORTED_OPERATION: 405,
  ERR_PRECONDITION_FAILED: 412,
  ERR_BODY_TOO_LARGE: 413,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_RATE_LIMITED: 429,
  ERR_INTERNAL: 500,
  ERR_UPSTREAM: 502,
  ERR_SEALED: 503,
  ERR_UNAVAILABLE: 503,
};

export interface ErrorReply {
  status: number;
  errors: string[];
  /** Unexpected errors are logged by the caller (never sent: they may carry internal detail). */
  unexpected: boolean;
}

export function errorToReply(err: unknown): ErrorReply {
  const status = err instanceof AppError ? STATUS[err.code] : 500;
  return { status, errors: errorMessages(err), unexpected: isUnexpectedError(err) };
}
