import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createListRewriter } from './list-method.js';

const STREAM = [
  'GET /v1/a HTTP/1.1\r\nHost: x\r\n\r\n',
  'LIST /v1/secret/metadata/ HTTP/1.1\r\nHost: x\r\nX-Pad: LIST \r\n\r\n',
  'POST /v1/kv/f HTTP/1.1\r\nContent-Length: 7\r\n\r\nLIST =1',
  'POST /v1/kv/c HTTP/1.1\r\ntransfer-encoding: Chunked\r\n\r\n7;ext=1\r\nLIST =2\r\n0\r\nX-Trailer: LIST \r\n\r\n',
  '\r\nLIST /v1/sys/policies/acl HTTP/1.1\r\nContent-Length: 0\r\n\r\n',
  'LINK /v1/x HTTP/1.1\r\n\r\n',
].join('');
const EXPECTED = STREAM
  .replace('LIST /v1/secret', 'LINK /v1/secret')
  .replace('LIST /v1/sys', 'LINK /v1/sys');

/** Feeds the chunks; returns what the parser would read and which requests were LIST. */
function run(chunks: Buffer[]): { out: string; lists: boolean[] } {
  const r = createListRewriter();
  for (const c of chunks) r.feed(c);
  return { out: Buffer.concat(chunks).toString('latin1'), lists: Array.from({ length: 6 }, () => r.nextRequestWasList()) };
}

describe('LIST rewriter', () => {
  it('rewrites only request starts, whatever the read boundaries', () => {
    const whole = Buffer.from(STREAM, 'latin1');
    const expectedLists = [false, true, false, false, true, false];
    assert.deepEqual(run([Buffer.from(whole)]), { out: EXPECTED, lists: expectedLists });
    // Every split into two reads, and one byte per read.
    for (let cut = 1; cut < whole.length; cut++) {
      assert.deepEqual(run([Buffer.from(whole.subarray(0, cut)), Buffer.from(whole.subarray(cut))]), { out: EXPECTED, lists: expectedLists }, `cut at ${cut}`);
    }
    assert.deepEqual(run([...whole].map((b) => Buffer.from([b]))), { out: EXPECTED, lists: expectedLists });
  });

  it('stops rewriting on a connection it cannot follow', () => {
    for (const head of ['GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n', 'POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n', 'GET / HTTP/1.1\r\nExpect: teapot\r\n\r\n', 'CONNECT a:1 HTTP/1.1\r\n\r\n']) {
      const chunk = Buffer.from(`${head}LIST /v1/x HTTP/1.1\r\n\r\n`, 'latin1');
      const r = createListRewriter();
      r.feed(chunk);
      assert.ok(chunk.toString('latin1').endsWith('LIST /v1/x HTTP/1.1\r\n\r\n'), head);
    }
  });
});
