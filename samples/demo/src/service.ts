import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fox } from '@fox/sdk';
import { checksum, parseLine } from './catalog.js';
import { readCatalogPages } from './catalog-files.js';
import { forecastDemand, hashReport } from './cpu-work.js';
import { PartnerApi } from './dependencies.js';
import { Inventory } from './inventory.js';

export const inventory = new Inventory();
export const partner = new PartnerApi();

/** One order: nested fox calls (parse → stock → quote → checksum) make a span tree. */
export const placeOrder = fox({ mode: 'wfox' }, async function placeOrder(line: string) {
  const { sku, qty } = await parseLine(line);
  const [stock, price] = await Promise.all([inventory.stockOf(sku), partner.quote(sku)]);
  return { sku, qty, stock, price, receipt: await checksum(`${sku}:${qty}:${price}`) };
});

type Handler = (query: URLSearchParams) => Promise<unknown>;

const ROUTES: Record<string, Handler> = {
  /** CPU-heavy: a few ms of CPU per call, on worker threads (tfox). */
  '/cpu': (q) => hashReport(clampInt(q.get('rounds'), 1, 400, 120)),
  /** CPU-heavy under auto: starts on the event loop until the guardian lets it move. */
  '/forecast': (q) => forecastDemand(q.get('sku') ?? 'SKU-0001'),
  /** A fan-out of catalog file reads on an I/O lane (mfox). */
  '/catalog': (q) => readCatalogPages(clampInt(q.get('page'), 0, 1000, 0) * 8, 16),
  /** A database query through an adaptive limiter (wfox) against a database that saturates. */
  '/stock': (q) => inventory.stockOf(q.get('sku') ?? 'SKU-0001'),
  /** A dependency that degrades on a schedule: hedges, retries, the breaker, the fallback. */
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
