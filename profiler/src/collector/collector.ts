import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { generateToken, tokenMatches } from './token.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

export interface CollectorOptions {
  /** Loopback address to bind. Default `127.0.0.1`; other addresses are refused. */
  host?: string;
  /** Default 0: the OS picks a free port (read it back from {@link Collector.port}). */
  port?: number;
  /** Shared secret every client must present as `?token=`. Default: a fresh random token. */
  token?: string;
  /** Largest accepted frame in bytes. Default 4 MiB. */
  maxPayload?: number;
  /** Plain HTTP requests (the UI). Default: `426 Upgrade Required`. */
  onRequest?: (request: IncomingMessage, response: ServerResponse) => void;
  /** Called for every authenticated connection. */
  onConnection?: (socket: WebSocket, request: IncomingMessage) => void;
}

export interface CollectorCounters {
  /** Connections that presented the right token. */
  accepted: number;
  /** Upgrade requests refused for a missing or wrong token. */
  rejected: number;
  /** Authenticated connections currently open. */
  open: number;
}

export interface Collector {
  /** What the sdk expects in `FOX_PROFILER`: `ws://127.0.0.1:PORT?token=…`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly token: string;
  /** Live counters (a snapshot copy). */
  counters(): CollectorCounters;
  /** Closes every connection and stops listening. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the profiler's WebSocket endpoint on a loopback address. A client must connect with
 * the collector's token in the query string; anything else gets `401 Unauthorized` before the
 * WebSocket handshake completes, so an unauthenticated peer never holds an open socket.
 *
 * @example
 * const collector = await startCollector();
 * spawn('node', ['app.js'], { env: { ...process.env, FOX_PROFILER: collector.url } });
 */
export async function startCollector(options: CollectorOptions = {}): Promise<Collector> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK_HOSTS.has(host)) {
    throw new RangeError(`The fox collector binds to loopback only; got host '${host}'`);
  }
  const token = options.token ?? generateToken();
  if (token.length === 0) throw new RangeError('The fox collector token must not be empty');

  const counters: CollectorCounters = { accepted: 0, rejected: 0, open: 0 };
  const onRequest = options.onRequest;
  const http = createServer((req, res) => {
    if (onRequest) {
      try {
        onRequest(req, res);
        return;
      } catch {
        if (res.headersSent) return void res.destroy();
        res.writeHead(500);
        return void res.end();
      }
    }
    res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
    res.end('fox collector: WebSocket only\n');
  });
  // A slow or silent client must not hold a socket forever.
  http.headersTimeout = 10_000;
  http.requestTimeout = 30_000;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload ?? 4 << 20 });

  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!tokenMatches(tokenOf(request), token)) {
      counters.rejected++;
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    socket.on('error', () => {});
    wss.handleUpgrade(request, socket, head, (ws) => {
      counters.accepted++;
      counters.open++;
      ws.on('close', () => counters.open--);
      // An oversized frame closes the socket with 1009 and an error event: count, never throw.
      ws.on('error', () => {});
      try {
        options.onConnection?.(ws, request);
      } catch {
        ws.terminate();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, host, () => {
      http.off('error', reject);
      resolve();
    });
  });

  const port = (http.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;

  return {
    url: `ws://${urlHost}:${port}?token=${encodeURIComponent(token)}`,
    host,
    port,
    token,
    counters: () => ({ ...counters }),
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
      });
      return closing;
    },
  };
}

function tokenOf(request: IncomingMessage): string | null {
  try {
    return new URL(request.url ?? '/', 'http://127.0.0.1').searchParams.get('token');
  } catch {
    return null;
  }
}
