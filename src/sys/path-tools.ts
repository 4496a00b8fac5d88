// sys/tools/random, sys/tools/hash and sys/policies/password (spec §2.12, §2.14).
import { definePath, type PathDef } from '../framework/backend.js';
import { randomBytes } from '../sys-tools/random.js';
import { hashInput } from '../sys-tools/hash.js';
import type { PasswordPolicyStore } from '../sys-tools/password-policy.js';
import { NotFoundError } from '../core/errors.js';

export function toolPaths(passwords: () => PasswordPolicyStore): PathDef[] {
  return [
    definePath({
      pattern: 'tools/random(?:/(?<urlsource>platform|seal|all))?(?:/(?<urlbytes>[0-9]+))?',
      fields: { urlsource: { type: 'string' }, urlbytes: { type: 'string' }, bytes: { type: 'raw' }, format: { type: 'raw' }, source: { type: 'raw' } },
      operations: {
        update: async (_req, d) => ({
          data: await randomBytes({
            bytes: d.string('urlbytes') || d.rawValue('bytes'),
            format: d.rawValue('format'),
            source: d.string('urlsource') || d.rawValue('source'),
          }),
        }),
      },
      help: 'Random bytes from a CSPRNG.',
    }),
    definePath({
      pattern: 'tools/hash(?:/(?<urlalgorithm>[a-z0-9-]+))?',
      fields: { urlalgorithm: { type: 'string' }, input: { type: 'raw' }, algorithm: { type: 'raw' }, format: { type: 'raw' } },
      operations: {
        update: async (_req, d) => ({
          data: hashInput({ input: d.rawValue('input'), algorithm: d.string('urlalgorithm') || d.rawValue('algorithm'), format: d.rawValue('format') }),
        }),
      },
      help: 'Hash base64 input with SHA-2 or SHA-3.',
    }),
    definePath({
      pattern: 'policies/password/?',
      operations: { list: async () => ({ data: { keys: await passwords().list() } }) },
      help: 'List password policies.',
    }),
    definePath({
      pattern: 'policies/password/(?<name>[^/]+)/generate',
      fields: { name: { type: 'string' } },
      operations: { read: async (_req, d) => ({ data: { password: await passwords().generate(d.string('name')) } }) },
      help: 'Generate a password from a policy.',
    }),
    definePath({
      pattern: 'policies/password/(?<name>[^/]+)',
      fields: { name: { type: 'string' }, policy: { type: 'string', required: false } },
      operations: {
        read: async (_req, d) => {
          const p = await passwords().get(d.string('name'));
          if (!p) throw new NotFoundError();
          return { data: { policy: p.policy } };
        },
        update: async (_req, d) => {
          await passwords().set(d.string('name'), d.string('policy'));
          return undefined;
        },
        delete: async (_req, d) => {
          await passwords().delete(d.string('name'));
          return undefined;
        },
      },
      help: 'Read, write or delete a password policy.',
    }),
  ];
}
