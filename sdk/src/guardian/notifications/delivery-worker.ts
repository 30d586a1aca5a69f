import { Worker } from 'node:worker_threads';
import type { Clock } from '../../clock/clock.js';
import { WebhookDeliveryError, isRetryableStatus } from './webhook-error.js';
import { redact, type WebhookRequest, type WebhookTransport } from './webhook-post.js';

/** Main thread → worker. */
interface PostRequest {
  id: number;
  url: string;
  body: string;
  headers: Record<string, string>;
}
type ToWorker = { op: 'post'; requests: PostRequest[] } | { op: 'cancel'; id: number };

/** Worker → main thread, in batches: the status each receiver answered, or the error code. */
type Reply = { id: number; status: number } | { id: number; error: string };

/**
 * The worker: HTTP only, with keep-alive agents; a plain-JS data URL like the WAL checkpointer
 * and the tfox worker, so it loads the same from sources, the build and a bundle. It answers
 * each request with the status and discards the body unread; redirects are not followed.
 */
const WORKER_SOURCE = String.raw`
import { parentPort, workerData } from 'node:worker_threads';
import http from 'node:http';
import https from 'node:https';
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: workerData.maxSockets }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: workerData.maxSockets }),
};
const open = new Map();
// Replies go back in one message per turn: each message is a task on the decisions' thread.
let replies = [];
const flush = () => { const r = replies; replies = []; parentPort.postMessage(r); };
parentPort.on('message', (msg) => {
  if (msg.op === 'cancel') { open.get(msg.id)?.destroy(); open.delete(msg.id); return; }
  if (msg.op === 'close') { for (const r of open.values()) r.destroy(); agents['http:'].destroy(); agents['https:'].destroy(); parentPort.close(); return; }
  for (const m of msg.requests) send(m);
});
function send(m) {
  let done = false;
  const reply = (r) => {
    if (done) return;
    done = true;
    open.delete(m.id);
    if (replies.push(r) === 1) setImmediate(flush);
  };
  try {
    const url = new URL(m.url);
    const body = Buffer.from(m.body, 'utf8');
    const req = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST', agent: agents[url.protocol],
      headers: { ...m.headers, 'content-length': String(body.length) },
    }, (res) => {
      res.resume();
      res.on('error', () => {});
      reply({ id: m.id, status: res.statusCode ?? 0 });
    });
    req.on('error', (e) => reply({ id: m.id, error: e.code ?? e.message }));
    open.set(m.id, req);
    req.end(body);
  } catch (e) {
    reply({ id: m.id, error: e.message });
  }
}
`;

interface Pending {
  resolve(status: number): void;
  reject(err: WebhookDeliveryError): void;
  url: string;
}

/**
 * Sends webhook requests from a worker thread. The guardian decides on the main thread; the
 * sockets, HTTP parsing and the garbage they make would otherwise run between its decisions
 * and show in their tail (measured: scripts/bench/guardian-webhooks.ts). The retry policy, the
 * timeouts (on the notifier's clock), rendering and signing stay here; the worker only moves
 * bytes.
 */
export class WorkerWebhookTransport implements WebhookTransport {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  /** Requests made in this turn, sent to the worker together (one message, not one each). */
  private outbox: PostRequest[] = [];

  constructor(private readonly maxSockets: number) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`), {
      workerData: { maxSockets: this.maxSockets },
    });
    w.on('message', (replies: Reply[]) => {
      for (const r of replies) this.settle(r);
    });
    w.on('error', (err) => this.failAll(`delivery worker failed: ${err.message}`));
    w.on('exit', () => {
      this.worker = undefined;
      this.failAll('delivery worker exited');
    });
    // After the listeners: adding a 'message' listener refs the worker again. The worker never
    // keeps a program alive; an attempt in flight does, through its timeout on the clock (and a
    // retry through its backoff), so a program that ends on its own waits for its last
    // notifications at most as long as their retry policy allows.
    w.unref();
    return (this.worker = w);
  }

  post(req: WebhookRequest, clock: Clock, signal?: AbortSignal): Promise<number> {
    if (this.closed || signal?.aborted) {
      return Promise.reject(new WebhookDeliveryError('cancelled', undefined, false));
    }
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<number>((resolve, reject) => {
      const stop = (err: WebhookDeliveryError) => {
        if (!this.pending.delete(id)) return;
        const queued = this.outbox.findIndex((r) => r.id === id);
        if (queued >= 0) this.outbox.splice(queued, 1);
        else worker.postMessage({ op: 'cancel', id } satisfies ToWorker);
        reject(err);
      };
      const timer = clock.setTimeout(
        () =>
          stop(
            new WebhookDeliveryError(
              `no answer within ${req.timeoutMs} ms (${redact(req.url)})`,
              undefined,
              true,
            ),
          ),
        req.timeoutMs,
      );
      const onAbort = () =>
        stop(new WebhookDeliveryError(`cancelled (${redact(req.url)})`, undefined, false));
      signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => {
        clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      this.pending.set(id, {
        url: req.url,
        resolve: (s) => (cleanup(), resolve(s)),
        reject: (e) => (cleanup(), reject(e)),
      });
      if (this.outbox.push({ id, url: req.url, body: req.body, headers: req.headers }) === 1) {
        queueMicrotask(() => this.flush());
      }
    });
  }

  private flush(): void {
    const requests = this.outbox;
    this.outbox = [];
    if (requests.length > 0) this.worker?.postMessage({ op: 'post', requests } satisfies ToWorker);
  }

  private settle(m: Reply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if ('error' in m) {
      p.reject(new WebhookDeliveryError(`${m.error} (${redact(p.url)})`, undefined, true));
    } else if (m.status >= 200 && m.status < 300) p.resolve(m.status);
    else {
      p.reject(
        new WebhookDeliveryError(
          `HTTP ${m.status} from ${redact(p.url)}`,
          m.status,
          isRetryableStatus(m.status),
        ),
      );
    }
  }

  private failAll(message: string): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(new WebhookDeliveryError(message, undefined, true));
  }

  destroy(): void {
    this.closed = true;
    this.outbox = [];
    this.failAll('cancelled');
    const w = this.worker;
    this.worker = undefined;
    if (w) {
      w.postMessage({ op: 'close' });
      w.unref();
    }
  }
}
