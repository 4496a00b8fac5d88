// Node's HTTP/1.1 parser rejects the custom LIST verb before any handler runs (HPE_INVALID_METHOD).
// Vault clients send it, so we recover the request from the parser error's raw packet, answer it,
// and close the connection. Over HTTP/2 (TLS) LIST arrives normally and this is not needed.
import type { Socket } from 'node:net';

export interface RawListRequest {
  target: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** Parses "LIST /v1/... HTTP/1.1\r\nHeaders\r\n\r\nbody"; undefined when the packet is incomplete. */
export function parseRawListPacket(packet: Buffer): RawListRequest | undefined {
  const headerEnd = packet.indexOf('\r\n\r\n');
  if (headerEnd < 0) return undefined;
  const head = packet.subarray(0, headerEnd).toString('latin1');
  const lines = head.split('\r\n');
  const requestLine = /^LIST (\S+) HTTP\/1\.[01]$/.exec(lines[0] ?? '');
  if (!requestLine) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = packet.subarray(headerEnd + 4);
  const declared = headers['content-length'];
  if (declared !== undefined && Number(declared) !== body.length) return undefined;
  if (headers['transfer-encoding'] !== undefined) return undefined;
  return { target: requestLine[1]!, headers, body };
}

export function writeRawResponse(socket: Socket, status: number, reason: string, headers: Record<string, string>, body: Buffer | string): void {
  if (socket.destroyed) return;
  const payload = typeof body === 'string' ? Buffer.from(body) : body;
  let head = `HTTP/1.1 ${status} ${reason}\r\n`;
  for (const [k, v] of Object.entries({ ...headers, 'Content-Length': String(payload.length), Connection: 'close' })) head += `${k}: ${v}\r\n`;
  socket.end(Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), payload]));
}
