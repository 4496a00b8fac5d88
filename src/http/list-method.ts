// The LIST verb over HTTP/1.1. Vault clients send it, and node's HTTP/1.1 parser rejects any verb it
// does not know (HPE_INVALID_METHOD) before a handler runs. So the bytes of every HTTP/1.1
// connection pass a small framer first, which follows request boundaries (request line and
// headers, then a Content-Length or chunked body) and, where a request starts with "LIST ", turns it
// into "LINK " — a verb node knows, of the same length — in the very buffer node's parser reads
// next, remembering which request of the connection that was; the request handler turns that
// request back into LIST. It works however the bytes arrive: split over any number of TCP reads
// (the rewrite is byte by byte, nothing is held back), pipelined before or after other requests,
// with large headers. A genuine LINK request stays LINK (405 from the router).
//
// "LIS" becomes "LIN" as soon as it is seen, before the next byte has arrived: node knows no verb
// that starts with "LIS", so a request that turns out not to be LIST is refused either way.
// When the framer meets something it does not follow (CONNECT, Upgrade, an Expect node answers by
// itself, a malformed framing header), it stops for the rest of that connection and the bytes pass
// untouched: node's parser decides, as it would without the framer.
import type { Socket } from 'node:net';

const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
/** "LIST " byte by byte, and what bytes 2 and 3 become. */
const LIST = [0x4c, 0x49, 0x53, 0x54, SPACE];
const LINK_N = 0x4e;
const LINK_K = 0x4b;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
/** Beyond this the head is node's business (its own limit, 16 KiB by default, is far lower). */
const MAX_HEAD = 256 * 1024;
/** A header line that matters for framing: name and value (up to the line end). */
const FRAMING_HEADER = /\r\n(content-length|transfer-encoding|upgrade|expect)[ \t]*:([^\r\n]*)/gi;

type State = 'start' | 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'trailers' | 'opaque';

/** Follows the requests of one connection, rewriting a leading "LIST " to "LINK " in place. */
export function createListRewriter() {
  let state: State = 'start';
  /** Bytes of the current head seen so far (kept only while a head spans reads). */
  let head: Buffer | undefined;
  /** How much of "LIST " the current request starts with (5: decided). */
  let methodPos = 0;
  let remaining = 0;
  let line = '';
  let lineLength = 0;
  let requests = 0;
  let answered = 0;
  const listRequests: number[] = [];

  /** Reads the framing headers of a complete head; false when it cannot be followed. */
  function endHead(text: string): boolean {
    if (text.startsWith('CONNECT ')) return false;
    let contentLength: number | undefined;
    let transferEncoding: string | undefined;
    // Only the headers that decide where the request ends; the parser itself checks the rest.
    FRAMING_HEADER.lastIndex = 0;
    for (let m = FRAMING_HEADER.exec(text); m !== null; m = FRAMING_HEADER.exec(text)) {
      const value = m[2]!.trim();
      switch (m[1]!.toLowerCase()) {
        case 'content-length': {
          if (!/^[0-9]+$/.test(value)) return false;
          const n = Number(value);
          if (contentLength !== undefined && contentLength !== n) return false;
          contentLength = n;
          break;
        }
        case 'transfer-encoding':
          transferEncoding = transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
          break;
        case 'upgrade':
          return false;
        default:
          // Expect: node answers other expectations itself (417), without a request event.
          if (value.toLowerCase() !== '100-continue') return false;
      }
    }
    if (transferEncoding !== undefined) {
      if (contentLength !== undefined) return false;
      const codings = transferEncoding.split(',');
      if (codings[codings.length - 1]!.trim().toLowerCase() !== 'chunked') return false;
      state = 'chunk-size';
      line = '';
    } else if (contentLength !== undefined && contentLength > 0) {
      state = 'body';
      remaining = contentLength;
    } else {
      state = 'start';
    }
    return true;
  }

  /** Matches the start of a request against "LIST ", rewriting as it goes; returns the next index. */
  function method(chunk: Buffer, i: number): number {
    const n = chunk.length;
    while (methodPos < LIST.length && i < n) {
      const c = chunk[i]!;
      if (c !== LIST[methodPos]) {
        methodPos = LIST.length;
        break;
      }
      if (methodPos === 2) chunk[i] = LINK_N;
      else if (methodPos === 3) chunk[i] = LINK_K;
      else if (methodPos === 4) listRequests.push(requests - 1);
      methodPos++;
      i++;
    }
    return i;
  }

  /** Follows one chunk, rewriting it in place where a request starts with "LIST ". */
  function feed(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      switch (state) {
        case 'start': {
          while (i < n && (chunk[i] === CR || chunk[i] === LF)) i++;
          if (i === n) return;
          requests++;
          methodPos = 0;
          head = undefined;
          state = 'head';
          break;
        }
        case 'head': {
          const begin = i;
          i = method(chunk, i);
          // The end of the head may straddle reads: search from three bytes before this read.
          const seen = head?.length ?? 0;
          const joined = head === undefined ? chunk.subarray(begin) : Buffer.concat([head, chunk.subarray(begin)]);
          const end = joined.indexOf(HEAD_END, Math.max(0, seen - 3));
          if (end < 0) {
            if (joined.length > MAX_HEAD) {
              state = 'opaque';
              return;
            }
            head = joined;
            return;
          }
          head = undefined;
          i = begin + (end + 4 - seen);
          if (!endHead(joined.toString('latin1', 0, end))) {
            state = 'opaque';
            return;
          }
          break;
        }
        case 'body': {
          const take = Math.min(remaining, n - i);
          i += take;
          remaining -= take;
          if (remaining === 0) state = 'start';
          break;
        }
        case 'chunk-size': {
          // "<hex>[;extensions]\r\n"
          const nl = chunk.indexOf(LF, i);
          const end = nl < 0 ? n : nl;
          line += chunk.toString('latin1', i, end);
          i = end;
          if (line.length > 1024) {
            state = 'opaque';
            return;
          }
          if (nl < 0) return;
          i++;
          const m = /^([0-9a-fA-F]+)[ \t]*(?:;[^\r]*)?\r$/.exec(line);
          line = '';
          if (!m) {
            state = 'opaque';
            return;
          }
          const size = Number.parseInt(m[1]!, 16);
          if (size === 0) {
            state = 'trailers';
            lineLength = 0;
          } else {
            state = 'chunk-data';
            remaining = size + 2; // the data and its CRLF
          }
          break;
        }
        case 'chunk-data': {
          const take = Math.min(remaining, n - i);
          i += take;
          remaining -= take;
          if (remaining === 0) state = 'chunk-size';
          break;
        }
        case 'trailers': {
          // Trailer lines, then an empty line.
          const c = chunk[i++];
          if (c === LF) {
            if (lineLength === 0) state = 'start';
            lineLength = 0;
          } else if (c !== CR) {
            lineLength++;
          }
          break;
        }
        case 'opaque':
          return;
      }
    }
  }

  return {
    feed,
    /** Called once per request the server received on this connection, in order: true when it arrived as LIST. */
    nextRequestWasList(): boolean {
      const index = answered++;
      while (listRequests.length > 0 && listRequests[0]! < index) listRequests.shift();
      if (listRequests[0] !== index) return false;
      listRequests.shift();
      return true;
    },
  };
}

export type ListRewriter = ReturnType<typeof createListRewriter>;

const rewriters = new WeakMap<object, ListRewriter>();

/**
 * Puts the framer in front of node's HTTP/1.1 parser on a connection node's HTTP server has just
 * set up ('connection' or, over TLS, 'secureConnection' for ALPN http/1.1). A 'data' listener
 * added first is called with the same buffer before the parser's own listener; adding it makes
 * node read the socket through those events instead of feeding its parser natively.
 */
export function attachListRewriter(socket: Socket): void {
  const rewriter = createListRewriter();
  rewriters.set(socket, rewriter);
  socket.prependListener('data', rewriter.feed);
}

/** For each request in turn: true when it arrived on an HTTP/1.1 connection as LIST (node saw LINK). */
export function requestArrivedAsList(socket: unknown): boolean {
  if (socket === null || typeof socket !== 'object') return false;
  return rewriters.get(socket)?.nextRequestWasList() ?? false;
}
