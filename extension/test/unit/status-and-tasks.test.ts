import assert from 'node:assert/strict';
import { statusView } from '../../src/status-text.js';
import { findDeclaration, taskLocation } from '../../src/task-source.js';

describe('status bar', () => {
  it('shows connected processes and pending approvals, and asks for attention', () => {
    const v = statusView({ running: true, connected: 2, pending: 1 });
    assert.equal(v.text, '$(pulse) Fox 2 $(bell-dot) 1');
    assert.match(v.tooltip, /2 connected processes, 1 pending approval\./);
    assert.equal(v.attention, true);
    assert.equal(statusView({ running: true, connected: 1, pending: 0 }).attention, false);
  });

  it('says when the profiler is not running, and every way it starts', () => {
    const { tooltip } = statusView({ running: false, connected: 0, pending: 0 });
    assert.match(tooltip, /not running/);
    assert.doesNotMatch(tooltip, /first Node debug session/);
    for (const way of [
      /Node debug session/,
      /Run with Profiler/,
      /task of type "fox"/,
      /Start Profiler/,
    ]) {
      assert.match(tooltip, way);
    }
  });
});

describe('task source', () => {
  it('finds the file of an id whose name holds `#` or `/` (the sdk parses ids)', () => {
    const at = (file: string) => ({ file, line: 0, column: 0 });
    assert.deepEqual(taskLocation('src/api.ts#OrderService.place', null), at('src/api.ts'));
    assert.deepEqual(taskLocation('src/routes.ts#POST /users', null), at('src/routes.ts'));
    assert.deepEqual(taskLocation('src/orders.ts#Orders.#place', null), at('src/orders.ts'));
    assert.deepEqual(taskLocation('src/c#/lib.ts#parse', undefined), at('src/c#/lib.ts'));
    assert.equal(taskLocation('no-hash', null), undefined);
    assert.equal(taskLocation('a.ts#', null), undefined);
  });

  it('prefers the location a process reported', () => {
    const reported = { file: 'src/b.ts', line: 3, column: 1 };
    assert.equal(taskLocation('src/a.ts#f', reported), reported);
    assert.deepEqual(taskLocation('src/a.ts#f', null), { file: 'src/a.ts', line: 0, column: 0 });
  });

  it('finds functions, bindings and methods', () => {
    const text = [
      "import { fox } from '@fox/sdk';",
      'export async function hashAll(x: number) {}',
      'export const resize = fox({ mode: "tfox" }, async () => {});',
      'class OrderService {',
      '  @fox({ mode: "wfox" })',
      '  async place(o: unknown) {}',
      '}',
    ].join('\n');
    assert.deepEqual(findDeclaration(text, 'hashAll'), { line: 1, column: 22 });
    assert.deepEqual(findDeclaration(text, 'resize'), { line: 2, column: 13 });
    assert.deepEqual(findDeclaration(text, 'OrderService.place'), { line: 5, column: 8 });
    assert.equal(findDeclaration(text, 'missing'), undefined);
  });
});
