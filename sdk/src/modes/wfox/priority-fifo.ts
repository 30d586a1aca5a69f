/** A node of {@link PriorityFifo}; the queue links it in place, so removal is O(1). */
export interface FifoNode {
  readonly priority: number;
  prev: FifoNode | undefined;
  next: FifoNode | undefined;
}

interface Level {
  readonly priority: number;
  head: FifoNode | undefined;
  tail: FifoNode | undefined;
}

/**
 * A priority queue that is FIFO within a priority: one linked list per priority level, levels
 * kept sorted. Push, shift and removal of any node are O(1) plus O(log P) to find a level (P =
 * distinct priorities waiting, usually one or two). Removal matters: aborted and timed-out
 * callers leave from the middle.
 */
export class PriorityFifo<T extends FifoNode> {
  /** Ascending by priority; the last level is served first. */
  private readonly levels: Level[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(node: T): void {
    const level = this.levelFor(node.priority, true)!;
    node.prev = level.tail;
    node.next = undefined;
    if (level.tail) level.tail.next = node;
    else level.head = node;
    level.tail = node;
    this.count++;
  }

  /** Removes and returns the oldest node of the highest priority. */
  shift(): T | undefined {
    const level = this.levels[this.levels.length - 1];
    const node = level?.head as T | undefined;
    if (node) this.remove(node);
    return node;
  }

  /** The newest node of the lowest priority (the first to evict), left in place. */
  last(): T | undefined {
    return this.levels[0]?.tail as T | undefined;
  }

  /** Removes a node that is in this queue. */
  remove(node: T): void {
    const level = this.levelFor(node.priority, false);
    if (!level) return;
    if (node.prev) node.prev.next = node.next;
    else level.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else level.tail = node.prev;
    node.prev = node.next = undefined;
    this.count--;
    if (!level.head) this.levels.splice(this.levels.indexOf(level), 1);
  }

  private levelFor(priority: number, create: boolean): Level | undefined {
    const levels = this.levels;
    let lo = 0;
    let hi = levels.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (levels[mid]!.priority < priority) lo = mid + 1;
      else hi = mid;
    }
    const found = levels[lo];
    if (found && found.priority === priority) return found;
    if (!create) return undefined;
    const level: Level = { priority, head: undefined, tail: undefined };
    levels.splice(lo, 0, level);
    return level;
  }
}
