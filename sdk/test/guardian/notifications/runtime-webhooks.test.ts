import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fox } from '../../../src/runtime/fox.js';
import { runtime } from '../../../src/runtime/runtime.js';
import { verifyWebhookSignature } from '../../../src/guardian/notifications/signature.js';
import { startReceiver, type Receiver } from './receiver.js';

const SECRET = 'runtime-webhook-secret-0123456789';

describe('fox.configure({ notifications }) (runtime wiring)', () => {
  let dir: string;
  let rx: Receiver;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fox-webhooks-'));
    rx = await startReceiver();
  });
  afterEach(async () => {
    await runtime().reset();
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers proposal events of the runtime guardian to a configured webhook', async () => {
    fox.configure({
      store: join(dir, 'fox.db'),
      guardian: { approvers: ['alice'], rules: [{ impact: 'low', decide: 'approve' }] },
      notifications: { webhooks: [{ url: rx.url, secret: SECRET }] },
    });
    const grt = runtime().guardianRuntime!;
    const p = await grt.guardian.propose({
      kind: 'custom-kind',
      taskId: null,
      payload: { x: 1 },
      impact: 'high',
      proposer: 'tuner',
    });
    await grt.notifier.idle();
    assert.equal(rx.received.length, 1);
    const r = rx.received[0]!;
    assert.equal(
      verifyWebhookSignature(SECRET, String(r.headers['fox-signature']), r.body).ok,
      true,
    );
    const body = JSON.parse(r.body) as { event: string; proposal: { id: string } };
    assert.deepEqual([body.event, body.proposal.id], ['proposal.created', p.id]);

    // Reconfigured live: the new webhook only gets what happens after.
    const other = await startReceiver();
    try {
      fox.configure({ notifications: { webhooks: [{ url: other.url, format: 'slack' }] } });
      await grt.guardian.propose({
        kind: 'custom-kind',
        taskId: null,
        payload: { x: 2 },
        impact: 'high',
        proposer: 'tuner',
      });
      await runtime().guardianRuntime!.notifier.idle();
      assert.equal(rx.received.length, 1);
      assert.equal(other.received.length, 1);
      assert.equal(
        typeof (JSON.parse(other.received[0]!.body) as { text: unknown }).text,
        'string',
      );
    } finally {
      await other.close();
    }
  });

  it('a program that ends by itself still sends its last notifications, then exits', async () => {
    const fox = pathToFileURL(join(import.meta.dirname, '../../../src/index.ts')).href;
    const runtimeModule = pathToFileURL(
      join(import.meta.dirname, '../../../src/runtime/runtime.ts'),
    ).href;
    const code = `
      import { fox } from ${JSON.stringify(fox)};
      import { runtime } from ${JSON.stringify(runtimeModule)};
      fox.configure({
        store: ${JSON.stringify(join(dir, 'child.db'))},
        guardian: { approvers: ['alice'] },
        notifications: { webhooks: [{ url: ${JSON.stringify(rx.url)}, secret: ${JSON.stringify(SECRET)} }] },
      });
      await runtime().guardianRuntime.guardian.propose({
        kind: 'custom-kind', taskId: null, payload: { from: 'child' }, impact: 'high', proposer: 'tuner',
      });`;
    rx.script = [503]; // the first attempt fails: the retry happens after the program's last line
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=source', '--input-type=module', '-e', code],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code0 = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.equal(code0, 0, stderr);
    assert.equal(rx.received.length, 2);
    const body = JSON.parse(rx.received[1]!.body) as { proposal: { payload: unknown } };
    assert.deepEqual(body.proposal.payload, { from: 'child' });
  });

  it('refuses an invalid webhook at configure time, naming the option, changing nothing', () => {
    assert.throws(
      () => fox.configure({ notifications: { webhooks: [{ url: 'not a url' }] } }),
      /'notifications\.webhooks\.0\.url'/,
    );
  });
});
