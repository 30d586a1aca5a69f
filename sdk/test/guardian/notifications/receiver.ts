import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/**
 * A real HTTP server on 127.0.0.1 that records every request (raw body and headers) and answers
 * with the next scripted status (then `fallback`); `hang` leaves requests unanswered.
 */
export interface Receiver {
  url: string;
  received: Received[];
  /** Statuses to answer with, in order; once used up, `fallback`. */
  script: number[];
  fallback: number;
  /** Leave requests open (never answer) while true. */
  hang: boolean;
  /** A body sent with every answer (the sender must ignore it). */
  answerBody: string;
  /** Resolves once `n` requests have arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const waiters: { n: number; resolve: () => void }[] = [];
  const open = new Set<import('node:http').ServerResponse>();
  const r: Receiver = {
    url: '',
    received: [],
    script: [],
    fallback: 200,
    hang: false,
    answerBody: '',
    waitFor(n, timeoutMs = 10_000) {
      if (r.received.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`only ${r.received.length} of ${n} requests arrived`)),
          timeoutMs,
        );
        waiters.push({ n, resolve: () => (clearTimeout(t), resolve()) });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.received.push({
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      });
      for (const w of waiters.filter((w) => r.received.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      if (r.hang) {
        open.add(res);
        return;
      }
      const status = r.script.shift() ?? r.fallback;
      res.writeHead(status, { 'content-type': 'application/json' }).end(r.answerBody);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return r;
}
