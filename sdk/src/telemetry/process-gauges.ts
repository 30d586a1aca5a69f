import {
  monitorEventLoopDelay,
  performance,
  type EventLoopUtilization,
  type IntervalHistogram,
} from 'node:perf_hooks';
import type { EventLoopDelay, ProcessStats } from '../protocol/stats.js';

/** Period of the delay monitor's timer, ms (Node's default). */
export const DELAY_RESOLUTION_MS = 10;

/**
 * Process gauges: event-loop delay (libuv timer based, `monitorEventLoopDelay`), event-loop
 * utilisation, CPU and memory. Each {@link snapshot} reports the interval since the previous
 * one, so callers that poll (the exporter, `fox.stats()`) see current behaviour, not averages
 * since boot. The delay monitor's timer does not keep the process alive.
 *
 * A snapshot whose interval has no data says so (null) rather than inventing numbers: the
 * first one (the gauges start as it is taken) or one taken in the same tick as the previous
 * has no delay sample, and ratios over a few microseconds are noise (ELU reads 1, CPU
 * anything).
 */
export class ProcessGauges {
  private readonly delay: IntervalHistogram;
  private readonly resolutionMs: number;
  private lastElu: EventLoopUtilization;
  private lastCpu: NodeJS.CpuUsage;
  private lastAt: number;
  private running = true;

  constructor(resolutionMs = DELAY_RESOLUTION_MS) {
    this.delay = monitorEventLoopDelay({ resolution: resolutionMs });
    this.resolutionMs = resolutionMs;
    this.delay.enable();
    this.lastElu = performance.eventLoopUtilization();
    this.lastCpu = process.cpuUsage();
    this.lastAt = performance.now();
  }

  snapshot(): ProcessStats {
    const now = performance.now();
    const elu = performance.eventLoopUtilization(this.lastElu);
    const cpu = process.cpuUsage(this.lastCpu);
    const wallMs = now - this.lastAt;
    const mem = process.memoryUsage();
    const delay = this.delayOfInterval();
    // Ratios need an interval to measure: one in which the loop turned (the monitor ticked or
    // the loop waited in poll) or that lasted a timer period (a long synchronous stretch is a
    // real ELU of 1).
    const measured = delay !== null || elu.idle > 0 || wallMs >= this.resolutionMs;
    const stats: ProcessStats = {
      pid: process.pid,
      uptimeMs: process.uptime() * 1000,
      eventLoopDelay: delay,
      eventLoopUtilization: measured ? clamp01(elu.utilization) : null,
      cpu: measured ? (cpu.user + cpu.system) / Math.max(1, wallMs * 1000) : null,
      heapUsedBytes: mem.heapUsed,
      rssBytes: mem.rss,
    };
    if (this.running) this.delay.reset();
    this.lastElu = performance.eventLoopUtilization();
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    return stats;
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.delay.disable();
  }

  /**
   * The interval's delay quantiles in ms, net of the timer's period: each sample is the time
   * between two ticks of the monitor's timer, so an idle loop samples ≈ the resolution. The net
   * is `max(0, sample − resolution)`, a monotone map, so applying it per quantile is exact.
   * Null without samples (the histogram's min/max are sentinels then).
   */
  private delayOfInterval(): EventLoopDelay | null {
    const d = this.delay;
    if (d.count === 0) return null;
    const net = (ns: number) => Math.max(0, ns / 1e6 - this.resolutionMs);
    return { p50: net(d.percentile(50)), p99: net(d.percentile(99)), max: net(d.max) };
  }
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
