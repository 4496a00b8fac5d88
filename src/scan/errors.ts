// Typed scanner errors. The CLI prints them age-style (`coffer: error: …` then `hint:` lines) and
// exits 2; nothing matches on message text.

export type ScanErrorCode =
  | 'ERR_SCAN_CONFIG' // malformed rules/config file
  | 'ERR_SCAN_NOT_GIT' // --git/--staged outside a repository
  | 'ERR_SCAN_GIT' // git itself failed
  | 'ERR_SCAN_IO' // cannot read a target or write a report
  | 'ERR_SCAN_BASELINE' // unreadable baseline file
  | 'ERR_SCAN_USAGE'; // bad flags

export class ScanError extends Error {
  readonly code: ScanErrorCode;
  readonly hints: string[];
  constructor(code: ScanErrorCode, message: string, options: { hints?: string[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hints = options.hints ?? [];
  }
}

export function isScanError(err: unknown): err is ScanError {
  return err instanceof ScanError;
}
