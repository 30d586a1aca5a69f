import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsCollector } from './metrics-collector.js';
import type { MetricsServerOptions } from './metrics-options.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from './prometheus-text.js';

/** Where a started endpoint listens. */
export interface MetricsEndpoint {
  host: string;
  port: number;
  /** `http://host:port/path`, for scrape configs and tests. */
  url: string;
}

/** Requests the endpoint answered, by how. Refused requests are counted, never thrown. */
export interface MetricsServerCounters {
  served: number;
  unauthorized: number;
  notFound: number;
  methodNotAllowed: number;
  failed: number;
}

/**
 * The Prometheus scrape endpoint: a plain `node:http` server that renders the collector's
 * reading on each GET of its path. It never keeps the process alive (server and connections
 * are unref'd), and a request it refuses is answered and counted, never an exception.
 */
export class PrometheusServer {
  readonly counters: MetricsServerCounters = {
    served: 0,
    unauthorized: 0,
    notFound: 0,
    methodNotAllowed: 0,
    failed: 0,
  };
  /** Resolves once listening; rejects when the port cannot be bound (e.g. EADDRINUSE). */
  readonly ready: Promise<MetricsEndpoint>;
  private readonly server: Server;
  private readonly tokenDigest: Buffer | undefined;

  constructor(
    private readonly options: MetricsServerOptions,
    private readonly collector: MetricsCollector,
  ) {
    this.tokenDigest = options.token === undefined ? undefined : digest(options.token);
    this.server = createServer((req, res) => this.handle(req, res));
    // A scrape is small; slow or stuck clients are cut off rather than held.
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 10_000;
    this.server.on('connection', (socket) => socket.unref());
    this.ready = new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(options.port, options.host, () => {
        this.server.off('error', reject);
        const a = this.server.address() as AddressInfo;
        const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
        resolve({ host: a.address, port: a.port, url: `http://${host}:${a.port}${options.path}` });
      });
    });
    this.server.unref();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path !== this.options.path) {
      this.counters.notFound++;
      return end(res, 404, 'not found\n');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.counters.methodNotAllowed++;
      res.setHeader('Allow', 'GET, HEAD');
      return end(res, 405, 'method not allowed\n');
    }
    if (this.tokenDigest && !this.authorized(req.headers.authorization)) {
      this.counters.unauthorized++;
      res.setHeader('WWW-Authenticate', 'Bearer realm="fox metrics"');
      return end(res, 401, 'unauthorized\n');
    }
    let body: string;
    try {
      body = renderPrometheus(this.collector.read());
    } catch {
      this.counters.failed++;
      return end(res, 500, 'metrics unavailable\n');
    }
    this.counters.served++;
    res.setHeader('Content-Type', PROMETHEUS_CONTENT_TYPE);
    res.setHeader('Cache-Control', 'no-store');
    end(res, 200, req.method === 'HEAD' ? undefined : body);
  }

  /** Compares digests, so the time taken says nothing about the token. */
  private authorized(header: string | undefined): boolean {
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
    return match !== null && timingSafeEqual(digest(match[1]!), this.tokenDigest!);
  }

  /** Stops listening and drops open connections. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

function end(res: ServerResponse, status: number, body: string | undefined): void {
  res.statusCode = status;
  if (status !== 200) res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(body);
}
