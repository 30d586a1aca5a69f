/**
 * Keys below L1 are namespaced by task id and the user's `version`, so two tasks never read each
 * other's values and bumping `version` retires everything older code stored (it ages out by TTL,
 * LRU in SQLite, and Redis's eviction policy).
 */

/** The key of `key` in the lower tiers: `fox:cache:<task id>:v<version>:<key>`. */
export function tierKey(taskId: string, version: string | number, key: string): string {
  return `fox:cache:${taskId}:v${version}:${key}`;
}

/** The key of the cross-process fill lock of a tier key (its own prefix: no user key hits it). */
export function lockKeyOf(tierKey: string): string {
  return `fox:cache-lock:${tierKey.slice('fox:cache:'.length)}`;
}
