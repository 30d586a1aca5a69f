import { WebSocketServer, type WebSocket } from 'ws';
import type { ExporterFrame } from '../../src/protocol/wire.js';
import { parseExporterFrame } from '../../src/protocol/wire.js';

/** A stand-in profiler: records the frames every connection sends, validated. */
export class Sink {
  readonly frames: ExporterFrame[] = [];
  readonly invalid: string[] = [];
  readonly sockets = new Set<WebSocket>();
  /** Whether aggregates are acknowledged (a profiler that dies before storing them does not). */
  acking = true;
  private constructor(
    readonly wss: WebSocketServer,
    readonly port: number,
  ) {
    wss.on('connection', (ws) => {
      this.sockets.add(ws);
      ws.on('close', () => this.sockets.delete(ws));
      ws.on('message', (data) => {
        const r = parseExporterFrame(String(data));
        if (r.ok) this.frames.push(r.frame);
        if (r.ok && r.frame.type === 'aggregates' && this.acking)
          ws.send(JSON.stringify({ type: 'ack', seq: r.frame.seq }));
        if (!r.ok) this.invalid.push(r.detail);
      });
    });
  }

  static async start(port = 0): Promise<Sink> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port });
    await new Promise((r) => wss.once('listening', r));
    return new Sink(wss, (wss.address() as { port: number }).port);
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}?token=t`;
  }

  of<T extends ExporterFrame['type']>(type: T): Extract<ExporterFrame, { type: T }>[] {
    return this.frames.filter((f): f is Extract<ExporterFrame, { type: T }> => f.type === type);
  }

  /** Dies like a killed process: connections reset, port closed. */
  async kill(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    await new Promise((r) => this.wss.close(r));
  }
}
