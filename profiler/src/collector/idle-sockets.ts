import type { Socket } from 'node:net';

/**
 * The sockets that have not yet completed a first request, oldest first. Over `max`, the oldest
 * is closed: whoever opens many sockets and says nothing loses them first, while a new client
 * always gets a slot (a real client completes its request within milliseconds).
 */
export class IdleSockets {
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly max: number,
    private readonly onEvict: () => void,
  ) {}

  get size(): number {
    return this.sockets.size;
  }

  add(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    for (const oldest of this.sockets) {
      if (this.sockets.size <= this.max) break;
      this.sockets.delete(oldest);
      oldest.destroy();
      this.onEvict();
    }
  }

  /** The socket completed a request (or an upgrade): it is no longer idle. */
  spoke(socket: Socket): void {
    this.sockets.delete(socket);
  }
}
