import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ConcreteMode } from '../../protocol/modes.js';

const CONCRETE = new Set<string>(['sfox', 'wfox', 'tfox', 'mfox']);
const cache = new Map<string, Map<string, ConcreteMode>>();

/**
 * The analyser's recommendation for a task, from `.fox/analysis.json` (`fox analyze --format
 * json`: `{ functions: [{ id, recommendedMode }] }`) under the project root. Read once per
 * root; a missing or malformed file means no hints.
 */
export function staticHint(root: string, taskId: string): ConcreteMode | undefined {
  const dir = resolve(root);
  let hints = cache.get(dir);
  if (!hints) {
    hints = new Map();
    try {
      const data = JSON.parse(readFileSync(join(dir, '.fox', 'analysis.json'), 'utf8')) as {
        functions?: { id?: unknown; recommendedMode?: unknown }[];
      };
      for (const f of data.functions ?? []) {
        if (
          typeof f.id === 'string' &&
          typeof f.recommendedMode === 'string' &&
          CONCRETE.has(f.recommendedMode)
        ) {
          hints.set(f.id, f.recommendedMode as ConcreteMode);
        }
      }
    } catch {
      // no analysis yet
    }
    cache.set(dir, hints);
  }
  return hints.get(taskId);
}

/** For tests: forget cached analysis files. */
export function clearStaticHints(): void {
  cache.clear();
}
