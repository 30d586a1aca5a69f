import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The pricing service the quote feed calls: a real HTTP server on 127.0.0.1. */
export interface PricingServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts a pricing service that answers each request after the `delay` (ms) its query asks
 * for, so that the feed decides which calls are slow.
 */
export async function startPricingServer(): Promise<PricingServer> {
  const server = createServer((req, res) => {
    const delay = Number(new URL(req.url ?? '/', 'http://pricing').searchParams.get('delay'));
    setTimeout(
      () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ price: 42, at: Date.now() }));
      },
      Number.isFinite(delay) ? delay : 0,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/quote`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
