/**
 * The tune benchmark's dependency: an HTTP server on 127.0.0.1 whose latency is lognormal
 * (median `median` ms, σ 0.4) with a slow tail (`tail` of requests ×10) and `fail` of them
 * answering 503. Prints its port as one JSON line, then serves until killed.
 *
 *   node --import tsx scripts/bench/tune-dependency.ts '{"median":20,"tail":0.02,"fail":0.02}'
 */
import { createServer } from 'node:http';

const cfg = JSON.parse(process.argv[2] ?? '{}') as {
  median?: number;
  tail?: number;
  fail?: number;
};
const median = cfg.median ?? 20;
const tail = cfg.tail ?? 0.02;
const fail = cfg.fail ?? 0.02;

function latency(): number {
  const u = 1 - Math.random();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
  return median * Math.exp(0.4 * z) * (Math.random() < tail ? 10 : 1);
}

const server = createServer((req, res) => {
  const failed = Math.random() < fail;
  const timer = setTimeout(() => {
    res.writeHead(failed ? 503 : 200, { 'content-type': 'text/plain' });
    res.end(failed ? 'busy' : 'ok');
  }, latency());
  req.on('close', () => {
    if (!res.writableEnded) clearTimeout(timer);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  console.log(JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 }));
});
