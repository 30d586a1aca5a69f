import { Agent as HttpAgent, request as httpRequest, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Clock } from '../../clock/clock.js';
import { WebhookDeliveryError, isRetryableStatus } from './webhook-error.js';

/** One HTTP request of a delivery. */
export interface WebhookRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

/** Sends one delivery attempt: resolves with a 2xx status, rejects with WebhookDeliveryError. */
export interface WebhookTransport {
  post(req: WebhookRequest, clock: Clock, signal?: AbortSignal): Promise<number>;
  destroy(): void;
}

/**
 * Keep-alive connections for a notifier's deliveries, on the calling thread (the fallback when
 * the delivery worker is off). node:http rather than `fetch`: a fetch
 * allocates web streams, abort signals and DOMExceptions per request, and that garbage, collected
 * on the thread that also makes guardian decisions, showed in their tail latency.
 */
export class WebhookAgents implements WebhookTransport {
  private readonly http: HttpAgent;
  private readonly https: HttpsAgent;

  constructor(maxSockets: number) {
    this.http = new HttpAgent({ keepAlive: true, maxSockets });
    this.https = new HttpsAgent({ keepAlive: true, maxSockets });
  }

  /**
   * POSTs one attempt and resolves with the status when it is 2xx; throws
   * {@link WebhookDeliveryError} otherwise. Redirects are not followed (a signed body is never
   * sent somewhere the configuration did not name), and the response body is discarded unread:
   * a webhook is outbound only, so nothing a receiver answers can act on the guardian.
   */
  post(req: WebhookRequest, clock: Clock, signal?: AbortSignal): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new WebhookDeliveryError('cancelled', undefined, false));
        return;
      }
      let settled = false;
      // eslint-disable-next-line prefer-const -- assigned after the callbacks that read it
      let timer: ReturnType<Clock['setTimeout']> | undefined;
      const finish = (err: WebhookDeliveryError | undefined, status?: number) => {
        if (settled) return;
        settled = true;
        if (timer) clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(status!);
      };
      let url: URL;
      try {
        url = new URL(req.url);
      } catch (err) {
        finish(new WebhookDeliveryError('invalid url', undefined, false, { cause: err }));
        return;
      }
      const https = url.protocol === 'https:';
      const body = Buffer.from(req.body, 'utf8');
      // eslint-disable-next-line prefer-const -- assigned after the callbacks that read it
      let client: ClientRequest;
      const onAbort = () => {
        client.destroy();
        finish(new WebhookDeliveryError(`cancelled (${redact(req.url)})`, undefined, false));
      };
      client = (https ? httpsRequest : httpRequest)(
        url,
        {
          method: 'POST',
          agent: https ? this.https : this.http,
          headers: { ...req.headers, 'content-length': String(body.length) },
        },
        (res) => {
          const status = res.statusCode ?? 0;
          // Drained and dropped: the connection is reused, the answer is never looked at.
          res.resume();
          res.on('error', () => undefined);
          if (status >= 200 && status < 300) finish(undefined, status);
          else {
            finish(
              new WebhookDeliveryError(
                `HTTP ${status} from ${redact(req.url)}`,
                status,
                isRetryableStatus(status),
              ),
            );
          }
        },
      );
      client.on('error', (err: NodeJS.ErrnoException) =>
        finish(
          new WebhookDeliveryError(
            `${err.code ?? err.message} (${redact(req.url)})`,
            undefined,
            true,
            {
              cause: err,
            },
          ),
        ),
      );
      timer = clock.setTimeout(() => {
        client.destroy();
        finish(
          new WebhookDeliveryError(
            `no answer within ${req.timeoutMs} ms (${redact(req.url)})`,
            undefined,
            true,
          ),
        );
      }, req.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      client.end(body);
    });
  }

  /** Closes idle keep-alive connections. */
  destroy(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

/** Webhook URLs are often secrets themselves (Slack's, Teams'): logs show the origin only. */
export function redact(url: string): string {
  try {
    return new URL(url).origin + '/…';
  } catch {
    return '(invalid url)';
  }
}
