// Typed errors for `coffer sops`. Each carries the exit code sops uses for the same failure, so the
// CLI maps errors to exit codes in one place and never matches on message text. Messages never
// contain secret values: paths, file names and key identifiers only.
//
// The numbers are sops' own (getsops/sops cmd/sops/codes/codes.go; the name there follows each
// entry). sops also defines 6 ErrorInvalidKMSEncryptionContextFormat, 21 ErrorEncryptingMac,
// 24 ErrorDecryptingMac, 52 MacNotFound, 61 ConfigFileNotFound, 85 KeyboardInterrupt,
// 111 NoEncryptionKeyFound and 202 FailedToCompareVersions; coffer has no failure that maps to them
// (sops' DecryptTree itself reports an undecryptable MAC as 51 MacMismatch, not 24).

export const ExitCode = {
  generic: 1, // ErrorGeneric
  couldNotReadInputFile: 2, // CouldNotReadInputFile
  couldNotWriteOutputFile: 3, // CouldNotWriteOutputFile
  errorDumpingTree: 4, // ErrorDumpingTree
  errorReadingConfig: 5, // ErrorReadingConfig
  invalidSetFormat: 7, // ErrorInvalidSetFormat
  conflictingParameters: 8, // ErrorConflictingParameters
  errorEncryptingTree: 23, // ErrorEncryptingTree
  errorDecryptingTree: 25, // ErrorDecryptingTree
  cannotChangeKeysFromNonExistentFile: 49, // CannotChangeKeysFromNonExistentFile
  macMismatch: 51, // MacMismatch
  invalidTreePathFormat: 91, // InvalidTreePathFormat
  needAtLeastOneDocument: 92, // NeedAtLeastOneDocument
  noFileSpecified: 100, // NoFileSpecified
  couldNotRetrieveKey: 128, // CouldNotRetrieveKey
  fileHasNotBeenModified: 200, // FileHasNotBeenModified
  noEditorFound: 201, // NoEditorFound
  fileAlreadyEncrypted: 203, // FileAlreadyEncrypted
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

/**
 * A value of the tree could not be decrypted: AES-GCM refused it (tampered, moved to another key,
 * or encrypted under another data key), it is not in sops' ENC[…] format, or its type tag is bad.
 * sops exits 25 (ErrorDecryptingTree) for all of these, before it ever looks at the MAC.
 */
export class TreeDecryptionError extends SopsError {
  constructor(message: string, options?: SopsErrorOptions) { super(ExitCode.errorDecryptingTree, message, options); }
}

/** The MAC is missing, cannot be decrypted, or differs from the one computed (sops: 51 for all three). */
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
