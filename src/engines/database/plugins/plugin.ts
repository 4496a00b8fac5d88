// The one interface every database plugin implements. A plugin knows its SQL dialect and driver;
// the engine knows roles, leases, templates and storage. Adding a database is one more file here
// plus a line in registry.ts.

/** What a plugin needs to open a connection pool (the root credentials already decrypted). */
export interface ConnectionSettings {
  /** The connection URL with `{{username}}`/`{{password}}` still templated. */
  connectionUrl: string;
  username: string;
  password: string;
  disableEscaping: boolean;
  maxOpenConnections: number;
  /** 0 = same as maxOpenConnections. */
  maxIdleConnections: number;
  /** Seconds; 0 = unlimited. */
  maxConnectionLifetime: number;
  /** postgres: 'password' | 'scram-sha-256'. */
  passwordAuthentication: string;
}

export interface NewUserRequest {
  username: string;
  password: string;
  /** Unix ms of the lease's expiry (for `{{expiration}}`). */
  expiration: number;
  creationStatements: string[];
}

export interface DatabasePlugin {
  /** The plugin_name values this plugin answers to. */
  readonly names: readonly string[];
  /** The longest username the database accepts for this plugin_name. */
  maxUsernameLength(pluginName: string): number;
  /** The username template used when the config sets none. */
  defaultUsernameTemplate(pluginName: string): string;
  /** Opens a pool (lazily connecting); `verify` connects and pings. Never throws with the password in the message. */
  open(settings: ConnectionSettings, pluginName: string): DatabaseConnection;
}

/**
 * An open pool to one database. Every method throws a plain Error whose message has the root
 * password and the substituted connection URL scrubbed out.
 */
export interface DatabaseConnection {
  /** Connects and pings. */
  verify(): Promise<void>;
  /** Runs the creation statements in one transaction. */
  newUser(req: NewUserRequest): Promise<void>;
  /** Runs statements (each with name/username/password/expiration substituted) in one transaction. */
  exec(statements: string[], values: Record<string, string>): Promise<void>;
  /** Whether the database has a user of this name (any host). */
  userExists(username: string): Promise<boolean>;
  /** Drops the user; the plugin's default revocation when `statements` is empty. Idempotent. */
  deleteUser(username: string, statements: string[]): Promise<void>;
  /** Extends the user's validity; the plugin's default when `statements` is empty (may be a no-op). */
  renewUser(username: string, expiration: number, statements: string[]): Promise<void>;
  /** Sets a user's password; the plugin's default rotation statement when `statements` is empty. */
  setPassword(username: string, password: string, statements: string[]): Promise<void>;
  close(): Promise<void>;
}

/** Substitutes the root credentials into a connection URL (URL-escaped unless disabled). */
export function substituteConnectionUrl(s: ConnectionSettings): string {
  const esc = (v: string): string => (s.disableEscaping ? v : encodeURIComponent(v));
  return s.connectionUrl.replace(/\{\{\s*(username|password|name)\s*\}\}/g, (_m, key: string) => (key === 'password' ? esc(s.password) : esc(s.username)));
}
