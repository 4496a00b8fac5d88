// Cloud KMS master keys (AWS KMS, GCP KMS, Azure Key Vault, HuaweiCloud KMS). Coffer cannot reach
// these services, so it never uses them: their metadata entries are kept verbatim on every rewrite
// that keeps the data key, and any operation that needs them says so plainly.

import { KEY_TYPE_LABEL, type OpaqueKey, type UnsupportedKeyType } from '../metadata.js';

export function unsupportedMessage(type: UnsupportedKeyType): string {
  return `${KEY_TYPE_LABEL[type]} keys are not supported by coffer sops (its metadata is kept, but coffer cannot call ${KEY_TYPE_LABEL[type]})`;
}

export function unsupportedDecrypt(key: OpaqueKey): never {
  throw new Error(unsupportedMessage(key.type));
}
