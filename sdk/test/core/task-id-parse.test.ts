import assert from 'node:assert/strict';
import { formatTaskId, parseTaskId, type TaskIdParts } from '@fox/sdk/protocol';

/** The one reading of `<file>#<name>` that the sdk, the analyser, the profiler and the editor share. */
describe('parseTaskId / formatTaskId', () => {
  const table: [id: string, parts: TaskIdParts | undefined][] = [
    ['src/images.ts#resize', { file: 'src/images.ts', name: 'resize' }],
    ['src/api.ts#OrderService.place', { file: 'src/api.ts', name: 'OrderService.place' }],
    ['index.mjs#default', { file: 'index.mjs', name: 'default' }],
    // Route, listener and job handlers are named by their registration: spaces, slashes, colons.
    ['src/a.ts#POST /users', { file: 'src/a.ts', name: 'POST /users' }],
    ['src/routes/users.ts#GET /users/:id', { file: 'src/routes/users.ts', name: 'GET /users/:id' }],
    // A `#` in the name: private methods, fragments in a route.
    ['src/orders.ts#Orders.#place', { file: 'src/orders.ts', name: 'Orders.#place' }],
    ['src/a.ts#GET /docs#intro', { file: 'src/a.ts', name: 'GET /docs#intro' }],
    // A `#` in the path: the separator follows the file name, not the folder.
    ['src/c#/lib.ts#parse', { file: 'src/c#/lib.ts', name: 'parse' }],
    ['src/c#/lib.ts#Orders.#place', { file: 'src/c#/lib.ts', name: 'Orders.#place' }],
    // Windows paths (an id across drives is absolute), in either separator.
    ['C:/work/app/src/a.ts#resize', { file: 'C:/work/app/src/a.ts', name: 'resize' }],
    ['src\\jobs\\nightly.ts#Jobs.run', { file: 'src\\jobs\\nightly.ts', name: 'Jobs.run' }],
    ['D:\\app\\c#\\x.cts#f', { file: 'D:\\app\\c#\\x.cts', name: 'f' }],
    // An `id` option is any string: without a file name it splits at its first `#`.
    ['orders#place', { file: 'orders', name: 'place' }],
    ['orders#place#v2', { file: 'orders', name: 'place#v2' }],
    ['bin/fox#main', { file: 'bin/fox', name: 'main' }],
    // Not `<file>#<name>`.
    ['checkout', undefined],
    ['', undefined],
    ['#resize', undefined],
    ['src/a.ts#', undefined],
    ['#', undefined],
  ];

  for (const [id, parts] of table) {
    it(`reads ${JSON.stringify(id)}`, () => {
      assert.deepEqual(parseTaskId(id), parts);
    });
  }

  it('writes ids with forward slashes, and reads back what it writes', () => {
    assert.equal(formatTaskId('src\\jobs\\nightly.ts', 'Jobs.run'), 'src/jobs/nightly.ts#Jobs.run');
    assert.equal(formatTaskId('C:\\app\\a.ts', 'f'), 'C:/app/a.ts#f');
    for (const [file, name] of [
      ['src/a.ts', 'POST /users'],
      ['src/c#/lib.ts', 'Orders.#place'],
      ['src/a.ts', 'GET /docs#intro'],
      ['index.js', 'default'],
    ] as const) {
      assert.deepEqual(parseTaskId(formatTaskId(file, name)), { file, name });
    }
  });
});
