import type { Clock } from '../../clock/clock.js';
import { FoxConfigError } from '../../errors/errors.js';
import { loadBullMQ } from './bullmq-module.js';
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_PREFIX,
  DEFAULT_UNAVAILABLE_AFTER_MS,
  connectionOptions,
  type DfoxConfig,
  type RedisOption,
} from './dfox-config.js';
import { QueueLink, type QueueGauges } from './queue-link.js';

/**
 * The dfox queues of one process: settings from `fox.configure({ redis, dfox })` (or
 * `FOX_REDIS`), and one {@link QueueLink} per queue name, opened on first use. bullmq is
 * imported then, not before.
 */
export class DfoxQueues {
  private redis: RedisOption | undefined;
  private config: DfoxConfig = {};
  private readonly links = new Map<string, Promise<QueueLink>>();
  private readonly opened = new Map<string, QueueLink>();

  constructor(private readonly clock: Clock) {}

  /** New settings apply to queues opened from now on. */
  configure(redis: RedisOption | undefined, config: DfoxConfig | undefined): void {
    if (redis !== undefined) this.redis = redis;
    if (config !== undefined) this.config = { ...this.config, ...config };
  }

  get maxPayloadBytes(): number {
    return this.config.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  }

  get unavailableAfterMs(): number {
    return this.config.unavailableAfterMs ?? DEFAULT_UNAVAILABLE_AFTER_MS;
  }

  get prefix(): string {
    return this.config.prefix ?? DEFAULT_PREFIX;
  }

  /** The Redis to use: configured, else `FOX_REDIS`; FoxConfigError when neither is set. */
  redisOption(taskId?: string): RedisOption {
    const redis = this.redis ?? process.env.FOX_REDIS;
    if (redis === undefined || redis === '') {
      throw new FoxConfigError(
        ['redis'],
        "mode 'dfox' needs a Redis: fox.configure({ redis: 'redis://host:6379' }) or FOX_REDIS",
        taskId,
      );
    }
    return redis;
  }

  /** The link for queue `name`, opened on first use. */
  link(name: string, taskId: string): Promise<QueueLink> {
    let link = this.links.get(name);
    if (!link) {
      const connection = connectionOptions(this.redisOption(taskId));
      link = loadBullMQ().then((bull) => {
        const opened = new QueueLink(bull, name, this.prefix, connection, this.clock);
        this.opened.set(name, opened);
        return opened;
      });
      this.links.set(name, link);
      // A failed load (bullmq missing) is retried by the next call.
      link.catch(() => this.links.delete(name));
    }
    return link;
  }

  /** What a worker in this process uses unless told otherwise: the Redis and key prefix. */
  workerDefaults(): { redis?: RedisOption; prefix: string } {
    const redis = this.redis ?? (process.env.FOX_REDIS || undefined);
    return { ...(redis !== undefined ? { redis } : {}), prefix: this.prefix };
  }

  /** The link of queue `name` if it is open (the hot path: no promise). */
  openLink(name: string): QueueLink | undefined {
    return this.opened.get(name);
  }

  /** Gauges of every queue this process has used. */
  gauges(): QueueGauges[] {
    return [...this.opened.values()].map((l) => l.snapshot());
  }

  /** Forgets the settings (for tests that reset the runtime); call after {@link close}. */
  forget(): void {
    this.redis = undefined;
    this.config = {};
  }

  async close(): Promise<void> {
    const links = [...this.opened.values()];
    this.opened.clear();
    this.links.clear();
    await Promise.allSettled(links.map((l) => l.close()));
  }
}
