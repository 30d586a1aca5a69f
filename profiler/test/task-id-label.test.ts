import assert from 'node:assert/strict';
import { splitTaskId } from '../src/ui/task-id-split.js';

/** The UI shortens the folder part of an id; the file and the name must stay whole. */
describe('task id label', () => {
  const table: [id: string, dir: string, rest: string][] = [
    ['src/lib/report.ts#buildReport', 'src/lib/', 'report.ts#buildReport'],
    ['src/routes/users.ts#GET /users/:id', 'src/routes/', 'users.ts#GET /users/:id'],
    ['src/c#/lib.ts#GET /docs#intro', 'src/c#/', 'lib.ts#GET /docs#intro'],
    ['src/orders.ts#Orders.#place', 'src/', 'orders.ts#Orders.#place'],
    ['src\\jobs\\nightly.ts#Jobs.run', 'src\\jobs\\', 'nightly.ts#Jobs.run'],
    ['main.ts#run', '', 'main.ts#run'],
    // An `id` option without a path keeps its slashes in the name.
    ['checkout#POST /pay', '', 'checkout#POST /pay'],
    ['checkout', '', 'checkout'],
  ];
  for (const [id, dir, rest] of table) {
    it(`splits ${JSON.stringify(id)}`, () => {
      assert.deepEqual(splitTaskId(id), { dir, rest });
    });
  }
});
