import assert from 'node:assert/strict';
import type { ServerToUi } from '@fox/profiler';
import { PanelBridge } from '../../src/panel/panel-bridge.js';

describe('PanelBridge.reveal (the hover\u2019s "Open in the profiler")', () => {
  it('holds a reveal until the page is ready, then asks it to select the task', async () => {
    const sent: ServerToUi[] = [];
    const bridge = new PanelBridge((m) => sent.push(m));
    bridge.reveal('src/app.ts#work');
    assert.deepEqual(sent, [], 'a loading page would drop it');
    await bridge.receive({ type: 'ready' }, undefined);
    assert.deepEqual(sent, [{ type: 'reveal', taskId: 'src/app.ts#work' }]);
    bridge.reveal('src/app.ts#other');
    assert.deepEqual(sent.at(-1), { type: 'reveal', taskId: 'src/app.ts#other' });
    assert.equal(sent.length, 2, 'the first reveal is not sent again');
  });
});
