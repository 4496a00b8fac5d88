// sys/generate-root/attempt and sys/generate-root/update: answered with bare JSON, without a token,
// as Vault's HTTP handlers do (spec §2.10; the unseal keys are the credential).
import { UnsupportedOperationError } from '../core/errors.js';
import type { RootGeneration } from '../core/seal/root-generation.js';
import type { ApiRequest, ApiResponse } from '../router/request.js';
import { bareBody, bareField } from './rekey.js';

export interface GenerateRootHandlerDeps {
  rootGeneration: RootGeneration;
  /** Throws while this node does not serve (sealed, or an HA standby). */
  ensureActive(): void;
}

/** Returns undefined for every path that is not a generate-root endpoint. */
export function createGenerateRootHandler(deps: GenerateRootHandlerDeps) {
  const gen = deps.rootGeneration;
  return async function handleGenerateRoot(req: ApiRequest): Promise<ApiResponse | undefined> {
    const path = req.path.endsWith('/') ? req.path.slice(0, -1) : req.path;
    const write = req.method === 'PUT' || req.method === 'POST';
    switch (path) {
      case 'sys/generate-root/attempt':
        if (req.method === 'GET') return { status: 200, json: await gen.status() };
        deps.ensureActive();
        if (write) {
          const body = bareBody(req);
          return { status: 200, json: await gen.init({ otp: bareField(body, 'otp'), pgp_key: bareField(body, 'pgp_key') }) };
        }
        if (req.method === 'DELETE') {
          await gen.cancel();
          return { status: 204 };
        }
        throw new UnsupportedOperationError('');
      case 'sys/generate-root/update': {
        if (!write) throw new UnsupportedOperationError('');
        deps.ensureActive();
        const body = bareBody(req);
        return { status: 200, json: await gen.update(bareField(body, 'key'), bareField(body, 'nonce') ?? '') };
      }
      default:
        return undefined;
    }
  };
}
