import { Agent } from 'undici';
import { BUILTIN_LANES, type LaneDefaults, type LanesOptions } from './lane-options.js';
import { Lane, type LaneStats } from './lane.js';

/**
 * The process's I/O lanes and, for HTTP, one keep-alive undici Agent per origin whose
 * connection count equals the origin lane's limit (so the lane, not the socket pool, is where
 * requests wait, and where they can be cancelled).
 */
export class LaneRegistry {
  private readonly lanes = new Map<string, Lane>();
  private readonly agents = new Map<string, Agent>();
  private settings: Record<string, { limit?: number; queue?: number }> = {};

  configure(settings: LanesOptions): void {
    this.settings = { ...this.settings, ...settings };
    for (const [name, lane] of this.lanes) {
      const d = this.defaultsFor(name);
      lane.configure(d.limit, d.queue);
    }
  }

  private defaultsFor(name: string): LaneDefaults {
    const base =
      BUILTIN_LANES[name] ??
      (name.startsWith('origin:') ? BUILTIN_LANES.originDefault! : BUILTIN_LANES.io!);
    const general = name.startsWith('origin:') ? this.settings.originDefault : undefined;
    const own = this.settings[name];
    return {
      limit: own?.limit ?? general?.limit ?? base.limit,
      queue: own?.queue ?? general?.queue ?? base.queue,
    };
  }

  get(name: string): Lane {
    let lane = this.lanes.get(name);
    if (!lane) {
      const d = this.defaultsFor(name);
      lane = new Lane(name, d.limit, d.queue);
      this.lanes.set(name, lane);
    }
    return lane;
  }

  /** The lane and keep-alive dispatcher for an HTTP origin (`https://host:port`). */
  origin(origin: string): { lane: Lane; agent: Agent } {
    const lane = this.get(`origin:${origin}`);
    let agent = this.agents.get(origin);
    if (!agent) {
      agent = new Agent({ connections: lane.limit, keepAliveTimeout: 10_000, pipelining: 1 });
      this.agents.set(origin, agent);
    }
    return { lane, agent };
  }

  stats(): LaneStats[] {
    return [...this.lanes.values()].map((l) => l.stats());
  }

  async close(): Promise<void> {
    for (const lane of this.lanes.values()) lane.close();
    this.lanes.clear();
    const agents = [...this.agents.values()];
    this.agents.clear();
    await Promise.allSettled(agents.map((a) => a.close()));
  }
}

const KEY = Symbol.for('fox.lanes.v1');

/** The lanes of this process (shared by every copy of the sdk, like the runtime). */
export function lanes(): LaneRegistry {
  const g = globalThis as { [KEY]?: LaneRegistry };
  return (g[KEY] ??= new LaneRegistry());
}
