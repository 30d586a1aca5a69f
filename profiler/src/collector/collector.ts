import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { IdleSockets } from './idle-sockets.js';
import {
  emptyCutCounters,
  resolveLimits,
  type CollectorLimits,
  type CutCounters,
} from './limits.js';
import { Liveness } from './liveness.js';
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
  /**
   * Connections this returns true for (the live UI) may stay silent: they are kept while they
   * answer pings. All others must send a first frame and keep sending (see
   * {@link CollectorLimits}). Default: none is quiet.
   */
  isQuiet?: (request: IncomingMessage) => boolean;
  /** Time limits and socket bounds; each defaults as documented in {@link CollectorLimits}. */
  limits?: Partial<CollectorLimits>;
}

export interface CollectorCounters {
  /** Connections that presented the right token. */
  accepted: number;
  /** Upgrade requests refused for a missing or wrong token. */
  rejected: number;
  /** Authenticated connections currently open. */
  open: number;
  /** TCP sockets currently open, of any kind (HTTP, WebSocket, not yet known). */
  sockets: number;
  /** Connections cut off or refused by a limit, by limit. */
  cut: CutCounters;
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

  const limits = resolveLimits(options.limits);
  const counters: CollectorCounters = {
    accepted: 0,
    rejected: 0,
    open: 0,
    sockets: 0,
    cut: emptyCutCounters(),
  };
  const onRequest = options.onRequest;
  const http = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks the two timeouts above only this often (30 s by default): a socket that
      // never sends a full request would otherwise outlive a 10 s headers timeout threefold.
      connectionsCheckingInterval: Math.max(10, Math.min(1000, limits.headersTimeoutMs / 4)),
    },
    (req, res) => {
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
    },
  );
  http.maxConnections = limits.maxConnections;
  http.on('drop', () => counters.cut.overLimit++);
  const idle = new IdleSockets(limits.maxIdleSockets, () => counters.cut.evicted++);
  const liveness = new Liveness(limits, counters.cut);
  const sockets = new Set<Socket>();
  http.on('connection', (socket: Socket) => {
    sockets.add(socket);
    counters.sockets++;
    socket.once('close', () => {
      sockets.delete(socket);
      counters.sockets--;
    });
    // Node answers a late or malformed request itself (408/400) and destroys the socket with
    // the error: only count it here.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') counters.cut.requestTimeout++;
      else if (err.code?.startsWith('HPE_')) counters.cut.protocolError++;
    });
    idle.add(socket);
  });
  http.on('request', (req: IncomingMessage) => idle.spoke(req.socket));
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload ?? 4 << 20 });

  http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    idle.spoke(request.socket);
    if (!tokenMatches(tokenOf(request), token)) {
      counters.rejected++;
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      // HTTP servers allow half-open sockets: a peer that never closes its side would keep
      // this one forever. A second is plenty to read a 401.
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    socket.on('error', () => {});
    wss.handleUpgrade(request, socket, head, (ws) => {
      counters.accepted++;
      counters.open++;
      ws.on('close', () => counters.open--);
      // Bad UTF-8, an oversized frame (1009)…: ws closes the socket and emits an error. Count,
      // never throw.
      ws.on('error', () => counters.cut.protocolError++);
      if (options.isQuiet?.(request) === true) liveness.watchPongs(ws);
      else liveness.watchFrames(ws);
      try {
        options.onConnection?.(ws, request);
      } catch {
        ws.terminate();
      }
    });
  });

  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port ?? 0, host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    liveness.close();
    throw err;
  }

  const port = (http.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;

  return {
    url: `ws://${urlHost}:${port}?token=${encodeURIComponent(token)}`,
    host,
    port,
    token,
    counters: () => ({ ...counters, cut: { ...counters.cut } }),
    close() {
      closing ??= new Promise<void>((resolve) => {
        liveness.close();
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
        // Sockets in no HTTP exchange (refused upgrades, idle ones) would delay the close.
        for (const socket of sockets) socket.destroy();
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
