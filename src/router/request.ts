// The transport-neutral request/response the HTTP adapter hands to the pipeline.
// Tests and the in-process CLI dev mode can call the pipeline with these directly.

export interface ApiRequest {
  /** Upper-case HTTP method, including the custom LIST verb. */
  method: string;
  /** Path below /v1/, percent-decoded, without a leading slash. */
  path: string;
  query: URLSearchParams;
  /** Parsed JSON (or form) body; undefined when empty. */
  body: unknown;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  remoteAddress: string;
}

export interface ApiResponse {
  status: number;
  /** Serialised as JSON when present. */
  json?: unknown;
  /** A raw body with its own content type (metrics text, PEM). */
  raw?: { contentType: string; body: string | Uint8Array };
  headers?: Record<string, string>;
}
