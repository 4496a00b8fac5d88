// The `socket` audit device's sink: one line per write over TCP, a unix socket, or UDP (one
// datagram per line). Every connect and write is bounded by `write_timeout` (Vault default 2 s): a
// peer that stops reading, or a host that swallows SYNs, makes the write fail instead of freezing
// the request pipeline. After a timeout the sink fails fast for one more timeout period, so a queue
// of entries behind a dead peer drains quickly instead of waiting its turn one timeout at a time.
import dgram from 'node:dgram';
import net from 'node:net';
import { codedError, type LineSink } from '../hash-chain.js';

export type SocketType = 'tcp' | 'udp' | 'unix';

export interface SocketSinkOptions {
  /** host:port ([v6]:port) for tcp/udp; a filesystem path for unix. */
  address: string;
  socketType: SocketType;
  writeTimeoutMs: number;
}

/** Largest payload of one UDP datagram over IPv4. */
const MAX_DATAGRAM = 65_507;

export class SocketWriteTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`audit socket write timed out after ${ms} ms`);
    this.name = 'SocketWriteTimeoutError';
  }
}

/** Splits `host:port` / `[v6]:port`; throws on anything else. */
export function parseHostPort(address: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(address) ?? /^([^:[\]]+):(\d{1,5})$/.exec(address);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`invalid socket address "${address}": expected host:port`);
  return { host: m[1]!, port };
}

function withTimeout<T>(ms: number, start: (done: (err: Error | null, value?: T) => void) => void, onTimeout: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      onTimeout();
      reject(new SocketWriteTimeoutError(ms));
    }, ms);
    start((err, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value as T);
    });
  });
}

export function createSocketSink(opts: SocketSinkOptions): LineSink {
  if (opts.socketType === 'udp') return createUdpSink(opts);
  const ms = opts.writeTimeoutMs;
  let sock: net.Socket | undefined;
  let failFastUntil = 0;

  function drop(): void {
    const s = sock;
    sock = undefined;
    s?.destroy();
  }

  function connect(): Promise<net.Socket> {
    let s: net.Socket | undefined;
    return withTimeout<net.Socket>(ms, (done) => {
      if (opts.socketType === 'unix') s = net.connect({ path: opts.address });
      else {
        const { host, port } = parseHostPort(opts.address);
        s = net.connect({ host, port });
      }
      const conn = s;
      conn.once('connect', () => {
        conn.removeAllListeners('error');
        // A socket the peer closed (or that errors later) is dropped; the next write reconnects.
        conn.on('error', () => { if (sock === conn) drop(); });
        conn.on('close', () => { if (sock === conn) sock = undefined; });
        conn.on('end', () => { if (sock === conn) drop(); });
        conn.on('data', () => undefined); // a peer that talks back must not fill our buffers
        done(null, conn);
      });
      conn.once('error', (err) => { conn.destroy(); done(err); });
    }, () => s?.destroy());
  }

  async function writeOnce(line: string): Promise<void> {
    if (!sock || sock.destroyed || !sock.writable) {
      drop();
      sock = await connect();
    }
    const s = sock;
    await withTimeout<void>(ms, (done) => {
      s.write(line, (err) => done(err ?? null));
    }, () => { if (sock === s) drop(); else s.destroy(); });
  }

  return {
    async open() {
      if (!sock) sock = await connect();
    },
    async write(line: string) {
      if (Date.now() < failFastUntil) throw codedError('ERR_AUDIT_SOCKET_FAIL_FAST', 'audit socket unavailable (recent write timeout)');
      try {
        await writeOnce(line);
      } catch (err) {
        drop();
        if (err instanceof SocketWriteTimeoutError) {
          failFastUntil = Date.now() + ms;
          throw err;
        }
        // One retry on a fresh connection, as Vault's socket device does (the peer may have restarted).
        try {
          await writeOnce(line);
        } catch (err2) {
          drop();
          if (err2 instanceof SocketWriteTimeoutError) failFastUntil = Date.now() + ms;
          throw err2;
        }
      }
    },
    async reopen() {
      drop();
      failFastUntil = 0;
      sock = await connect();
    },
    async close() {
      const s = sock;
      sock = undefined;
      if (!s || s.destroyed) return;
      await withTimeout<void>(ms, (done) => s.end(() => done(null)), () => s.destroy()).catch(() => s.destroy());
    },
  };
}

function createUdpSink(opts: SocketSinkOptions): LineSink {
  const { host, port } = parseHostPort(opts.address);
  const ms = opts.writeTimeoutMs;
  let sock: dgram.Socket | undefined;
  const ensure = (): dgram.Socket => {
    if (!sock) {
      const s = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
      s.on('error', () => { if (sock === s) sock = undefined; s.close(); });
      s.unref();
      sock = s;
    }
    return sock;
  };
  const closeSock = (): void => {
    const s = sock;
    sock = undefined;
    try { s?.close(); } catch { /* already closed */ }
  };
  return {
    maxWriteBytes: MAX_DATAGRAM,
    async open() { ensure(); },
    write(line: string) {
      const buf = Buffer.from(line, 'utf8');
      if (buf.length > MAX_DATAGRAM) return Promise.reject(codedError('EMSGSIZE', `audit entry of ${buf.length} bytes does not fit in one UDP datagram`));
      const s = ensure();
      return withTimeout<void>(ms, (done) => s.send(buf, port, host, (err) => done(err ?? null)), closeSock);
    },
    async reopen() { closeSock(); ensure(); },
    async close() { closeSock(); },
  };
}
