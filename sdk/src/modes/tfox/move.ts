import type { MessagePort, TransferListItem } from 'node:worker_threads';
/**
 * `fox.move(value)`: marks an ArrayBuffer, a typed array's buffer or a MessagePort to be
 * transferred (moved, not copied) when it crosses to or from a tfox worker. The mark lives in
 * a process-global WeakSet so that the sdk copy loaded inside a worker marks results the same
 * way. Only top-level arguments and the direct elements of an array or plain-object argument
 * are looked at: deep scans would cost every call.
 */

type Movable = ArrayBuffer | ArrayBufferView | MessagePort;

interface MoveMarks {
  set: WeakSet<object>;
  /** How many values were ever marked; zero means calls skip the scan entirely. */
  count: number;
}

const KEY = Symbol.for('fox.moved');

export function moveMarks(): MoveMarks {
  const g = globalThis as { [KEY]?: MoveMarks };
  return (g[KEY] ??= { set: new WeakSet(), count: 0 });
}

/** Marks `value` to be transferred to or from a worker; returns it unchanged. */
export function move<T extends Movable>(value: T): T {
  const marks = moveMarks();
  marks.set.add(value);
  marks.count++;
  return value;
}

/** The transfer list for a call's arguments (empty when nothing was marked). */
export function transferListOf(args: readonly unknown[]): TransferListItem[] | undefined {
  const marks = moveMarks();
  if (marks.count === 0) return undefined;
  let list: TransferListItem[] | undefined;
  const add = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || !marks.set.has(v)) return;
    marks.set.delete(v);
    (list ??= []).push(ArrayBuffer.isView(v) ? (v.buffer as ArrayBuffer) : (v as TransferListItem));
  };
  for (const arg of args) {
    add(arg);
    if (Array.isArray(arg)) arg.forEach(add);
    else if (
      arg !== null &&
      typeof arg === 'object' &&
      Object.getPrototypeOf(arg) === Object.prototype
    )
      Object.values(arg).forEach(add);
  }
  return list;
}
