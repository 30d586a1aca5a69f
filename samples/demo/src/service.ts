import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fox } from '@fox/sdk';
import { checksum, parseLine } from './catalog.js';
import { hashReport, PartnerApi } from './dependencies.js';
import { Inventory } from './inventory.js';

const inventory = new Inventory();
const partner = new PartnerApi();

/** One order: nested fox calls (parse → stock → quote → checksum) make a span tree. */
export const placeOrder = fox({ mode: 'wfox' }, async function placeOrder(line: string) {
  const { sku, qty } = await parseLine(line);
  const [stock, price] = await Promise.all([inventory.stockOf(sku), partner.quote(sku)]);
  return { sku, qty, stock, price, receipt: await checksum(`${sku}:${qty}:${price}`) };
});

type Handler = (query: URLSearchParams) => Promise<unknown>;

const ROUTES: Record<string, Handler> = {
  /** CPU-heavy: blocks the event loop for a few ms per call. */
  '/cpu': (q) => hashReport(clampInt(q.get('rounds'), 1, 200, 40)),
  /** I/O-heavy: a database query through an adaptive limiter. */
  '/stock': (q) => inventory.stockOf(q.get('sku') ?? 'SKU-0001'),
  /** A flaky dependency: slow sometimes, failing sometimes. */
  '/quote': (q) => partner.quote(q.get('sku') ?? 'SKU-0001'),
  /** All of the above in one request. */
  '/order': (q) => placeOrder(q.get('line') ?? 'SKU-0001;1'),
};

export const ENDPOINTS = Object.keys(ROUTES);

/** Starts the demo HTTP service; resolves with its base URL once listening. */
export async function startService(port = 0): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = ROUTES[url.pathname];
    if (!route) {
      res.writeHead(url.pathname === '/' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ endpoints: ENDPOINTS }));
      return;
    }
    route(url.searchParams).then(
      (value) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      },
      (err: unknown) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }));
      },
    );
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function clampInt(raw: string | null, min: number, max: number, fallback: number): number {
  const n = Number(raw);
  return Number.isInteger(n) ? Math.min(max, Math.max(min, n)) : fallback;
}
