// Module boundaries, checked on the source: a forbidden import fails the build's test run.
// Engines and auth methods are plugins on the framework (they never reach into the core, the HTTP
// layer or each other); the router never depends on HTTP; the client never pulls in server code;
// shipped code never imports test code.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** What a plugin (engine or auth method) may import besides its own folder and packages. */
const PLUGIN_ALLOWED = ['src/framework/', 'src/storage/', 'src/lib/', 'src/core/errors.ts', 'src/core/crypto/'];

interface Rule {
  /** Which files the rule applies to (repo-relative, '/' separated). */
  applies: (file: string) => boolean;
  /** Whether importing `target` (repo-relative path, resolved) from `file` is allowed. */
  allows: (file: string, target: string) => boolean;
  why: string;
}

const under = (p: string, ...prefixes: string[]) => prefixes.some((x) => p === x || p.startsWith(x));
/** `src/engines/kv/...` → `src/engines/kv/` */
const pluginRoot = (file: string) => file.split('/').slice(0, 3).join('/') + '/';
const isTest = (file: string) => file.endsWith('.test.ts');

export const RULES: Rule[] = [
  {
    applies: (f) => under(f, 'src/engines/', 'src/auth/') && !isTest(f),
    allows: (f, t) => under(t, pluginRoot(f), ...PLUGIN_ALLOWED),
    why: 'engines and auth methods import only their own folder, the framework, storage, lib and core errors/crypto (never each other, the token store, http, server, router or sys)',
  },
  {
    applies: (f) => under(f, 'src/router/'),
    allows: (_f, t) => !under(t, 'src/http/', 'src/server/', 'src/engines/', 'src/auth/'),
    why: 'the router returns logical results; http depends on it, not the reverse',
  },
  {
    applies: (f) => under(f, 'src/framework/', 'src/lease/') && !isTest(f),
    allows: (_f, t) => !under(t, 'src/http/', 'src/server/', 'src/router/', 'src/engines/', 'src/auth/', 'src/sys/'),
    why: 'the framework and the expiration manager sit below the core and the plugins',
  },
  {
    applies: (f) => under(f, 'src/client/') && !isTest(f),
    allows: (_f, t) => under(t, 'src/client/', 'src/lib/'),
    why: 'the client library ships without server code',
  },
  {
    applies: (f) => under(f, 'src/') && !isTest(f),
    allows: (_f, t) => !under(t, 'test/'),
    why: 'shipped code never imports test code',
  },
];

const IMPORT_RE = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(=])import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;

/** Relative import specifiers of a TypeScript source (packages and node: builtins are not ours). */
export function relativeImports(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec?.startsWith('.')) out.push(spec);
  }
  return out;
}

/** Resolves `./x.js` from `src/a/b.ts` to `src/a/x.ts` (folders end in '/'). */
function resolveTarget(file: string, spec: string): string {
  const abs = relative(repo, resolve(repo, dirname(file), spec)).split('\\').join('/');
  return abs.replace(/\.js$/, '.ts');
}

export function violations(file: string, source: string): string[] {
  const found: string[] = [];
  for (const spec of relativeImports(source)) {
    const target = resolveTarget(file, spec);
    for (const rule of RULES) {
      if (rule.applies(file) && !rule.allows(file, target)) found.push(`${file} imports ${target}: ${rule.why}`);
    }
  }
  return found;
}

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(join(repo, dir))) {
    const p = `${dir}/${name}`;
    if (statSync(join(repo, p)).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

describe('module boundaries', () => {
  it('the checker sees static, type-only, re-export and dynamic imports', () => {
    const src = [
      "import { a } from '../../http/respond.js';",
      "import type { B } from '../kv/types.js';",
      "export { c } from '../../server/core.js';",
      "const m = await import('../../auth/token/store.js');",
      "import '../../sys/side-effect.js';",
      "import pg from 'pg';",
      "import { x } from './own.js';",
    ].join('\n');
    assert.deepEqual(relativeImports(src), ['../../http/respond.js', '../kv/types.js', '../../server/core.js', '../../auth/token/store.js', '../../sys/side-effect.js', './own.js']);
    const found = violations('src/engines/database/x.ts', src);
    assert.equal(found.length, 5, found.join('\n'));
    assert.deepEqual(violations('src/engines/database/x.ts', "import { y } from '../../framework/types.js';\nimport { z } from './plugins/pg.js';"), []);
    assert.equal(violations('src/auth/approle/x.ts', "import { s } from '../token/store.js';").length, 1);
    assert.equal(violations('src/router/x.ts', "import { r } from '../http/respond.js';").length, 1);
    assert.equal(violations('src/client/x.ts', "import { c } from '../server/core.js';").length, 1);
    assert.equal(violations('src/lease/x.ts', "import { h } from '../../test/helpers/server.js';").length, 1);
  });

  it('no source file under src/ crosses a boundary', () => {
    const files = sources('src');
    assert.ok(files.length > 100, `found only ${files.length} source files under ${repo}/src`);
    const found = files.flatMap((f) => violations(f, readFileSync(join(repo, f), 'utf8')));
    assert.deepEqual(found, []);
  });
});
