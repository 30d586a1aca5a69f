// A small program as a user outside the Fox repo writes it (scripts/consumer/check.mjs copies
// it into a fresh project): `@fox()` with TypeScript's standard decorators, `fox()` with
// policies, a typed flow, a dfox task without its optional peer (bullmq), and the store, which
// needs the optional `better-sqlite3`.
import { pbkdf2Sync } from 'node:crypto';
import { fox, hasFoxCode } from '@fox/sdk';
import { openStore } from '@fox/sdk/store';

let placed = 0;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class Orders {
  /** Waits on a pretend database; fails the first time, so the retry policy has work to do. */
  @fox({ mode: 'wfox', retry: { attempts: 3, delay: 1 }, timeout: 1000 })
  async place(id: number): Promise<string> {
    await sleep(2);
    if (++placed === 1) throw new Error('transient');
    return `order-${id}`;
  }
}

/** Blocking key derivation declared `sfox`: `fox analyze` says to use `tfox` (FOX007). */
export const derive = fox(
  { mode: 'sfox', timeout: '2s' },
  async function derive(password: string): Promise<string> {
    return pbkdf2Sync(password, 'salt', 1000, 32, 'sha256').toString('hex');
  },
);

/** A typed flow: `total` is a number without a cast. */
const checkout = fox
  .flow<{ ids: number[] }>('checkout', { concurrency: 2 })
  .node('orders', (_, { input }) => input.ids.map((id) => `order-${id}`))
  .node('count', { needs: ['orders'] }, ({ orders }) => orders.length)
  .node('total', { needs: ['count'] }, ({ count }) => count * 10)
  .build();

/** Distributed on BullMQ, which this project does not install: the call says so, typed. */
export const resize = fox(
  { mode: 'dfox', queue: 'images' },
  async function resize(width: number): Promise<number> {
    return width / 2;
  },
);

/** The error code of a dfox call in a project without bullmq. */
async function dfoxStatus(): Promise<string> {
  try {
    return String(await resize(100));
  } catch (err) {
    return hasFoxCode(err, 'FOX_MISSING_PEER') ? err.code : `unexpected: ${String(err)}`;
  }
}

/** `ok`, or why the store cannot open (no driver installed). */
function storeStatus(): string {
  try {
    openStore({ path: ':memory:' }).close();
    return 'ok';
  } catch (err) {
    if (hasFoxCode(err, 'FOX_STORE')) return `unavailable: ${err.message}`;
    throw err;
  }
}

const orders = new Orders();
const receipts: string[] = [];
for (let i = 1; i <= 20; i++) receipts.push(await orders.place(i));
const key = await derive('secret');
const flow = await checkout.run({ ids: [101, 102, 103] });
const total: number = flow.results.total;
fox.configure({ redis: 'redis://127.0.0.1:6399' });
const dfox = await dfoxStatus();
const stats = fox.stats();
console.log(
  JSON.stringify({
    receipts: receipts.length,
    attempts: placed,
    key: key.length,
    tasks: fox.tasks().map((t) => t.id),
    calls: Object.fromEntries(stats.tasks.map((t) => [t.id, t.calls])),
    store: storeStatus(),
    flow: { total, nodes: Object.keys(flow.nodes).length },
    dfox,
  }),
);
await fox.shutdown();
