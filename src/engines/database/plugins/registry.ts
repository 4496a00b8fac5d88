// plugin_name → plugin. A third database is one more import and one more entry.
import { mysqlPlugin } from './mysql.js';
import type { DatabasePlugin } from './plugin.js';
import { postgresqlPlugin } from './postgresql.js';

const PLUGINS: DatabasePlugin[] = [postgresqlPlugin, mysqlPlugin];

export function findPlugin(pluginName: string): DatabasePlugin | undefined {
  return PLUGINS.find((p) => p.names.includes(pluginName));
}

export function pluginNames(): string[] {
  return PLUGINS.flatMap((p) => [...p.names]);
}
