// Kept apart from task-id.ts (which builds DOM) so it runs, and is tested, without a DOM.
import { parseTaskId } from '@fox/sdk/task-id';

/**
 * `src/lib/report.ts#buildReport` → `src/lib/` and `report.ts#buildReport`. Only the file's
 * folders go to `dir`: a name may hold slashes (`src/a.ts#POST /users`).
 */
export function splitTaskId(id: string): { dir: string; rest: string } {
  const file = parseTaskId(id)?.file ?? '';
  const slash = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return slash < 0
    ? { dir: '', rest: id }
    : { dir: id.slice(0, slash + 1), rest: id.slice(slash + 1) };
}
