import assert from 'node:assert/strict';
import type { RuleReport } from '../../src/analysis/rules/rule.js';
import { fox004Reports } from './support/analyze-snippet.js';

/** What FOX004 reports for the body of an async function `run` with the given declarations. */
function reports(body: string): RuleReport[] {
  const source = `
    declare const db: any, prisma: any, fs: any, stream: any, s3: any, Model: any;
    declare function load(id: string, ...rest: unknown[]): Promise<string>;
    export async function run(ids: string[], hooks: Array<(c: object) => Promise<void>>,
        ctx: object, lines: string[], logPath: string, clients: any[], items: any[]) {
      ${body}
    }`;
  return fox004Reports(source);
}

describe('FOX004 leaves loops whose iterations must run in order', () => {
  const ordered: [string, string][] = [
    ['hooks called in order with a shared context', `for (const h of hooks) await h(ctx);`],
    [
      'each element called with the same object (whatever the collection is called)',
      `const fns = hooks; for (const fn of fns) await fn(ctx);`,
    ],
    [
      'middleware objects run in order',
      `const middlewares: any[] = []; for (const m of middlewares) await m.handle();`,
    ],
    [
      'a for loop over beforeHooks.length',
      `const beforeHooks = hooks; for (let i = 0; i < beforeHooks.length; i++) await beforeHooks[i]!(ctx);`,
    ],
    [
      'an options object threaded through the iterations',
      `let opts = {}; for (const id of ids) opts = await load(id, opts);`,
    ],
    [
      'an object the body changes and the next await reads',
      `const state: any = {}; for (const id of ids) { state.last = await load(id, state); }`,
    ],
    [
      'awaits inside db.transaction(async (tx) => …)',
      `await db.transaction(async (tx: any) => { for (const id of ids) await tx.user.update(id); });`,
    ],
    [
      'awaits inside prisma.$transaction',
      `await prisma.$transaction(async (client: any) => { for (const id of ids) await client.row.delete(id); });`,
    ],
    [
      'a knex trx handle',
      `const trx = await db.begin(); for (const id of ids) await trx.insert(id);`,
    ],
    [
      'a sequelize { transaction } option',
      `const t = await db.t(); for (const item of items) await Model.create(item, { transaction: t });`,
    ],
    ['writes to one stream', `for (const line of lines) await stream.write(line);`],
    ['appends to one file', `for (const line of lines) await fs.appendFile(logPath, line);`],
  ];
  for (const [what, body] of ordered) {
    it(`no finding: ${what}`, () => {
      assert.deepEqual(
        reports(body).map((r) => r.message),
        [],
      );
    });
  }

  const independent: [string, string][] = [
    ['one load per id', `for (const id of ids) await load(id);`],
    [
      'results stored per id (the object is written, never read by an await)',
      `const out: Record<string, string> = {}; for (const id of ids) out[id] = await load(id);`,
    ],
    ['one file per element', `for (const item of items) await fs.appendFile(item.path, 'x');`],
    [
      'a broadcast: the same message to each client',
      `const msg = 'hi'; for (const c of clients) await c.notify(msg);`,
    ],
    [
      'an SDK client send per element (not a stream write)',
      `for (const item of items) await s3.send(item);`,
    ],
    [
      'webhook deliveries (not hooks)',
      `const webhooks: string[] = []; for (const url of webhooks) await load(url);`,
    ],
  ];
  for (const [what, body] of independent) {
    it(`still reports: ${what}`, () => {
      assert.equal(reports(body).length, 1);
    });
  }
});
