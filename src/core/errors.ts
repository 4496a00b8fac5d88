// Typed errors for the whole server. Handlers throw these; http/status-map.ts is the one place
// that turns a code into an HTTP status and the Vault error envelope. Never match on message text.

export type ErrorCode =
  | 'ERR_INVALID_REQUEST' // 400
  | 'ERR_PERMISSION_DENIED' // 403
  | 'ERR_NOT_FOUND' // 404
  | 'ERR_UNSUPPORTED_PATH' // 404
  | 'ERR_UNSUPPORTED_OPERATION' // 405
  | 'ERR_PRECONDITION_FAILED' // 412
  | 'ERR_BODY_TOO_LARGE' // 413
  | 'ERR_UNSUPPORTED_MEDIA_TYPE' // 415
  | 'ERR_RATE_LIMITED' // 429
  | 'ERR_UPSTREAM' // 502
  | 'ERR_SEALED' // 503
  | 'ERR_UNAVAILABLE' // 503
  | 'ERR_NOT_INITIALIZED' // 400 (Vault answers "Vault is not initialized" with 400 on most paths)
  | 'ERR_INTERNAL'; // 500

export interface AppErrorOptions {
  cause?: unknown;
  /** Extra error strings for the `errors` array (after the message). */
  details?: string[];
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: string[];
  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? [];
  }
}

export class InvalidRequestError extends AppError {
  constructor(message: string, options?: AppErrorOptions) { super('ERR_INVALID_REQUEST', message, options); }
}

export class PermissionDeniedError extends AppError {
  constructor(message = 'permission denied', options?: AppErrorOptions) { super('ERR_PERMISSION_DENIED', message, options); }
}

export class NotFoundError extends AppError {
  /** An empty message produces Vault's `{"errors":[]}` body. */
  constructor(message = '', options?: AppErrorOptions) { super('ERR_NOT_FOUND', message, options); }
}

export class UnsupportedPathError extends AppError {
  constructor(path: string, options?: AppErrorOptions) {
    super('ERR_UNSUPPORTED_PATH', `no handler for route "${path}". route entry not found.`, options);
  }
}

export class UnsupportedOperationError extends AppError {
  constructor(message = 'unsupported operation', options?: AppErrorOptions) { super('ERR_UNSUPPORTED_OPERATION', message, options); }
}

export class SealedError extends AppError {
  constructor(options?: AppErrorOptions) { super('ERR_SEALED', 'Vault is sealed', options); }
}

export class InternalError extends AppError {
  constructor(message = 'internal error', options?: AppErrorOptions) { super('ERR_INTERNAL', message, options); }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** The strings of Vault's `errors` array for an error (non-AppErrors never show their message). */
export function errorMessages(err: unknown): string[] {
  if (err instanceof AppError) return err.message === '' ? [...err.details] : [err.message, ...err.details];
  return ['internal error'];
}

/** Errors worth logging: not an AppError, or an internal one with a cause (never sent: may carry detail). */
export function isUnexpectedError(err: unknown): boolean {
  if (!(err instanceof AppError)) return true;
  return err.code === 'ERR_INTERNAL' && err.cause !== undefined;
}
