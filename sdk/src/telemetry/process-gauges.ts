import {
  monitorEventLoopDelay,
  performance,
  type EventLoopUtilization,
  type IntervalHistogram,
} from 'node:perf_hooks';
import type { ProcessStats } from '../protocol/stats.js';

/**
 * Process gauges: event-loop delay (libuv timer based, `monitorEventLoopDelay`), event-loop
 * utilisation, CPU and memory. Each {@link snapshot} reports the interval since the previous
 * one, so callers that poll (the exporter, `fox.stats()`) see current behaviour, not averages
 * since boot. The delay monitor's timer does not keep the process alive; the first snapshot
 * after construction has no delay samples yet (zeros).
 */
export class ProcessGauges {
  private readonly delay: IntervalHistogram;
  private lastElu: EventLoopUtilization;
  private lastCpu: NodeJS.CpuUsage;
  private lastAt: number;
  private running = true;

  constructor(resolutionMs = 10) {
    this.delay = monitorEventLoopDelay({ resolution: resolutionMs });
    this.delay.enable();
    this.lastElu = performance.eventLoopUtilization();
    this.lastCpu = process.cpuUsage();
    this.lastAt = performance.now();
  }

  snapshot(): ProcessStats {
    const now = performance.now();
    const elu = performance.eventLoopUtilization(this.lastElu);
    const cpu = process.cpuUsage(this.lastCpu);
    const wallMicros = Math.max(1, (now - this.lastAt) * 1000);
    const mem = process.memoryUsage();
    const d = this.delay;
    // The histogram reports nanoseconds; with no samples yet its min/max are sentinel values.
    const has = d.count > 0;
    const stats: ProcessStats = {
      pid: process.pid,
      uptimeMs: process.uptime() * 1000,
      eventLoopDelay: {
        p50: has ? d.percentile(50) / 1e6 : 0,
        p99: has ? d.percentile(99) / 1e6 : 0,
        max: has ? d.max / 1e6 : 0,
      },
      eventLoopUtilization: clamp01(elu.utilization),
      cpu: (cpu.user + cpu.system) / wallMicros,
      heapUsedBytes: mem.heapUsed,
      rssBytes: mem.rss,
    };
    if (this.running) d.reset();
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
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
