// Typed errors for `coffer sops`. Each carries the exit code sops uses for the same failure, so the
// CLI maps errors to exit codes in one place and never matches on message text. Messages never
// contain secret values: paths, file names and key identifiers only.

export const ExitCode = {
  generic: 1,
  couldNotReadInputFile: 2,
  couldNotWriteOutputFile: 3,
  errorDumpingTree: 4,
  errorReadingConfig: 5,
  invalidSetFormat: 7,
  conflictingParameters: 8,
  errorEncryptingTree: 23,
  errorDecryptingTree: 25,
  cannotChangeKeysFromNonExistentFile: 49,
  macMismatch: 51,
  invalidTreePathFormat: 91,
  needAtLeastOneDocument: 92,
  noFileSpecified: 100,
  couldNotRetrieveKey: 128,
  fileHasNotBeenModified: 200,
  noEditorFound: 201,
  fileAlreadyEncrypted: 203,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface SopsErrorOptions {
  cause?: unknown;
  /** Extra lines printed as `hint: …` after the error. */
  hints?: string[];
}

export class SopsError extends Error {
  readonly exitCode: number;
  readonly hints: string[];
  constructor(exitCode: number, message: string, options: SopsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.hints = options.hints ?? [];
  }
}

/** A file (or stdin) could not be parsed in its format. */
export class ParseError extends SopsError {
  constructor(message: string, options?: SopsErrorOptions) { super(ExitCode.couldNotReadInputFile, message, options); }
}

/** AES-GCM refused a value: wrong key, tampered ciphertext or moved value. Constant message. */
export class DecryptionFailedError extends SopsError {
  constructor(path: string, options?: SopsErrorOptions) {
    super(ExitCode.errorDecryptingTree, `could not decrypt the value at ${path}: authentication failed (tampered, moved or wrong key)`, options);
  }
}

export class MacMismatchError extends SopsError {
  constructor(message: string, options?: SopsErrorOptions) { super(ExitCode.macMismatch, message, options); }
}

export class KeyRetrievalError extends SopsError {
  constructor(message: string, options?: SopsErrorOptions) { super(ExitCode.couldNotRetrieveKey, message, options); }
}

export class ConfigError extends SopsError {
  constructor(message: string, options?: SopsErrorOptions) { super(ExitCode.generic, message, options); }
}

/** Key types coffer can keep in metadata but cannot talk to (cloud KMS). */
export class UnsupportedKeyError extends SopsError {
  constructor(message: string, options?: SopsErrorOptions) { super(ExitCode.generic, message, options); }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
