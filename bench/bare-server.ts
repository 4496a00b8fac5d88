// Baseline process: a bare node:http server that answers every request with a fixed JSON body of
// the size Coffer returns for the same call (given as argv: one size per "METHOD path-prefix").
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const bodies = new Map<string, Buffer>();
for (const arg of process.argv.slice(2)) {
  const [key, size] = arg.split('=');
  bodies.set(key!, Buffer.from(JSON.stringify({ pad: 'x'.repeat(Math.max(0, Number(size) - 10)) })));
}
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = bodies.get(`${req.method} ${req.url}`) ?? bodies.get(req.method ?? 'GET') ?? Buffer.from('{}');
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Content-Length': body.length });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ address: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
