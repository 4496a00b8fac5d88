// Builds a Backend from a declarative path table: each path is a pattern, typed fields and one
// handler per operation. Routing picks the most specific matching pattern (longest literal prefix),
// so the order paths are listed in never changes which handler runs.
import { UnsupportedOperationError, UnsupportedPathError } from '../core/errors.js';
import { FieldData } from './field-data.js';
import type { FieldSchema } from './field-types.js';
import type { Storage } from '../storage/backend.js';
import { OPERATIONS, type Backend, type Operation, type PathDescription, type PeriodicTask, type Request, type Response, type SecretType, type SpecialPaths } from './types.js';

export type Handler = (req: Request, fields: FieldData) => Promise<Response | undefined | void>;

export interface PathDef {
  /** Regex source matched against the whole mount-relative path; named groups become fields. */
  pattern: string;
  fields?: Record<string, FieldSchema>;
  operations: Partial<Record<Operation, Handler>>;
  existenceCheck?: (req: Request, fields: FieldData) => Promise<boolean>;
  /** Engines such as KV v1 store whatever they are given: no unknown-field warning. */
  takesArbitraryInput?: boolean;
  help?: string;
}

export interface BackendDef {
  type: string;
  paths: PathDef[];
  specialPaths?: Partial<SpecialPaths>;
  help?: string;
  initialize?: () => Promise<void>;
  cleanup?: () => Promise<void>;
  secrets?: Record<string, SecretType>;
  periodic?: PeriodicTask;
  invalidate?: (key: string) => void;
  walRollback?: (kind: string, data: unknown) => Promise<void>;
  walRollbackMinAge?: number;
  authRenew?: Backend['authRenew'];
}

interface CompiledPath {
  def: PathDef;
  regex: RegExp;
  literalPrefix: number;
}

/** Identity helper so path tables get type checking at the definition site. */
export function definePath(def: PathDef): PathDef {
  return def;
}

function literalPrefixLength(pattern: string): number {
  const m = /^[^\\()[\]{}.*+?^$|]*/.exec(pattern);
  return m ? m[0].length : 0;
}

function compile(def: PathDef): CompiledPath {
  return { def, regex: new RegExp(`^${def.pattern}$`), literalPrefix: literalPrefixLength(def.pattern) };
}

export function createBackend(def: BackendDef): Backend {
  const compiled = def.paths.map(compile).sort((a, b) => b.literalPrefix - a.literalPrefix || b.def.pattern.length - a.def.pattern.length);

  function match(path: string): { path: CompiledPath; captures: Record<string, string> } | undefined {
    for (const c of compiled) {
      const m = c.regex.exec(path);
      if (m) return { path: c, captures: { ...(m.groups ?? {}) } };
    }
    return undefined;
  }

  function fieldsFor(req: Request, found: { path: CompiledPath; captures: Record<string, string> }): FieldData {
    // Path captures win over body fields of the same name, as in Vault.
    const raw: Record<string, unknown> = { ...req.data };
    for (const [k, v] of Object.entries(found.captures)) if (v !== undefined) raw[k] = v;
    return new FieldData(raw, found.path.def.fields ?? {});
  }

  function handlerFor(def: PathDef, op: Operation): Handler | undefined {
    const ops = def.operations;
    if (ops[op]) return ops[op];
    // A path that only declares one of create/update serves both.
    if (op === 'create') return ops.update;
    if (op === 'update') return ops.create;
    return undefined;
  }

  return {
    type: def.type,
    specialPaths: { unauthenticated: def.specialPaths?.unauthenticated ?? [], sudo: def.specialPaths?.sudo ?? [] },
    async handleRequest(req) {
      const found = match(req.path);
      if (!found) throw new UnsupportedPathError(req.fullPath);
      const handler = handlerFor(found.path.def, req.operation);
      if (!handler) throw new UnsupportedOperationError();
      const fields = fieldsFor(req, found);
      const resp = (await handler(req, fields)) ?? undefined;
      if (!found.path.def.takesArbitraryInput && found.path.def.fields) {
        const unknown = fields.unknownKeys().filter((k) => !(k in found.captures));
        if (unknown.length > 0 && (req.operation === 'create' || req.operation === 'update')) {
          const warning = `Endpoint ignored these unrecognized parameters: [${unknown.join(' ')}]`;
          if (resp) resp.warnings = [...(resp.warnings ?? []), warning];
          else return { warnings: [warning] };
        }
      }
      return resp;
    },
    async existenceCheck(req) {
      const found = match(req.path);
      if (!found?.path.def.existenceCheck) return undefined;
      return found.path.def.existenceCheck(req, fieldsFor(req, found));
    },
    help(path) {
      const found = match(path);
      return found?.path.def.help ?? def.help ?? '';
    },
    initialize: def.initialize,
    cleanup: def.cleanup,
    secrets: def.secrets,
    periodic: def.periodic,
    invalidate: def.invalidate,
    walRollback: def.walRollback,
    walRollbackMinAge: def.walRollbackMinAge,
    authRenew: def.authRenew,
    describePaths(): PathDescription[] {
      return def.paths.map((p) => ({
        pattern: p.pattern,
        fields: { ...p.fields },
        operations: OPERATIONS.filter((op) => p.operations[op] !== undefined),
        takesArbitraryInput: p.takesArbitraryInput ?? false,
      }));
    },
  };
}
