/** Something that holds a resource or a subscription until disposed. */
export interface Disposable {
  dispose(): void;
}

/** Subscribe to an event; the returned disposable unsubscribes. */
export type FoxEvent<T> = (listener: (value: T) => void) => Disposable;

/**
 * A typed event source (cockatiel-style): `emitter.event(listener)` subscribes and returns a
 * disposable. Firing with no listeners costs one length check, so policies can fire freely
 * on the hot path.
 */
export class Emitter<T> {
  private listeners: ((value: T) => void)[] = [];

  /** Subscribe; dispose the result to unsubscribe. */
  readonly event: FoxEvent<T> = (listener) => {
    // Copy-on-write so a listener that unsubscribes during fire() does not skip its neighbour.
    this.listeners = [...this.listeners, listener];
    return {
      dispose: () => {
        this.listeners = this.listeners.filter((l) => l !== listener);
      },
    };
  };

  get hasListeners(): boolean {
    return this.listeners.length > 0;
  }

  fire(value: T): void {
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) {
      try {
        ls[i]!(value);
      } catch (err) {
        // A faulty listener must never break the call it observes.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  clear(): void {
    this.listeners = [];
  }
}
