import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import {
  ApprovalDecisionSchema,
  parseProfilerControlFrame,
  UiApprovalMessageSchema,
  UiChaosKillMessageSchema,
  WireProcessSchema,
} from '@fox/sdk/protocol';
import {
  startProfiler,
  type Profiler,
  type ServerToUi,
  type UiChannelCounters,
} from '../src/index.js';
import { FakeExporter } from './fake-exporter.js';
import { until } from './helpers.js';

/*
 * Hostile messages on `/ui` against a real profiler with real exporter-like connections. An
 * oracle written from the channel's contract says what must happen to each message (accepted,
 * or refused for one reason) and which control frames must reach which process; the test checks
 * the profiler's counters, its replies and every frame the exporters received against it.
 */

type Outcome = 'accepted' | keyof UiChannelCounters['refused'];

interface Message {
  data: string | Buffer;
  binary: boolean;
}

const MAX_UI_MESSAGE_BYTES = 64 << 10;
const HASH = 'ab'.repeat(32);
/** A proposal id at the bound whose every character JSON escapes: its frames grow past 4 KiB. */
const QUOTES_ID = '"'.repeat(512);
const KILL_REASON = 'kill switch in the fox UI';

/** What the process side looks like: who is connected and which proposals are pending where. */
const CONNECTED = ['P-A', 'P-B'];
const PENDING: Record<string, string[]> = {
  'P-A': ['PROP-OK', QUOTES_ID],
  'P-B': ['PROP-B'],
  'P-GONE': ['PROP-GONE'],
};

interface Expected {
  outcome: Outcome;
  /** Whether the profiler answers it (approvals and kills that got past JSON). */
  replies: boolean;
  /** Control frames that must reach each process. */
  frames: [string, unknown][];
}

/** The oracle: what the channel must do with one message, from its documented contract. */
function expected(m: Message, token: string): Expected {
  const refused = (outcome: Outcome, replies = false): Expected => ({
    outcome,
    replies,
    frames: [],
  });
  if (m.binary) return refused('binary');
  // What arrives is UTF-8: lone surrogates have become U+FFFD on the way.
  const text = Buffer.from(m.data).toString('utf8');
  if (Buffer.byteLength(text) > MAX_UI_MESSAGE_BYTES) return refused('tooLarge');
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return refused('notJson');
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return refused('invalid');
  const o = msg as Record<string, unknown>;
  // A process or task id as the wire bounds it.
  const isId = (v: unknown) => WireProcessSchema.shape.id.safeParse(v).success;
  const ok: Expected = { outcome: 'accepted', replies: false, frames: [] };
  switch (o['type']) {
    case 'ready':
    case 'unselect':
      return ok;
    case 'select':
      return isId(o['processId']) && isId(o['taskId']) ? ok : refused('invalid');
    case 'approval': {
      if (o['token'] !== token) return refused('badToken', true);
      const r = UiApprovalMessageSchema.safeParse(o);
      if (!r.success) return refused('invalid', true);
      const { processId, decision } = r.data;
      if (!CONNECTED.includes(processId)) return refused('notConnected', true);
      if (!(PENDING[processId] ?? []).includes(decision.proposalId)) {
        return refused('unknownProposal', true);
      }
      const frame = { type: 'approval', v: 1, decision: ApprovalDecisionSchema.parse(decision) };
      // Deliverable means: the exporter's own parser takes it.
      if (!parseProfilerControlFrame(JSON.stringify(frame))) return refused('undeliverable', true);
      return { outcome: 'accepted', replies: true, frames: [[processId, frame]] };
    }
    case 'chaos-kill': {
      if (o['token'] !== token) return refused('badToken', true);
      const r = UiChaosKillMessageSchema.safeParse(o);
      if (!r.success) return refused('invalid', true);
      const targets = r.data.processId === undefined ? CONNECTED : [r.data.processId];
      if (!targets.every((p) => CONNECTED.includes(p))) return refused('notConnected', true);
      const frame = { type: 'chaos-kill', v: 1, reason: r.data.reason ?? KILL_REASON };
      return { outcome: 'accepted', replies: true, frames: targets.map((p) => [p, frame]) };
    }
  }
  return refused('invalid');
}

/** Strings that break naive code: escapes, surrogates, prototype keys, lengths at the bounds. */
const hostileString = fc.oneof(
  fc.string({ maxLength: 16 }),
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc.constantFrom('', '"', '\\', '\u0000', '\ud800', '\u2028', '🦊', '__proto__', 'constructor'),
  fc
    .tuple(fc.constantFrom('a', '"', '\u0001', '🦊'), fc.constantFrom(127, 128, 129, 255, 256, 257))
    .map(([c, n]) => c.repeat(n).slice(0, n)),
  fc
    .tuple(fc.constantFrom('a', '"', '\u0001'), fc.constantFrom(511, 512, 513, 1024, 1025))
    .map(([c, n]) => c.repeat(n)),
);
const wrongType = fc.oneof(
  fc.constantFrom(null, 0, -1, 1.5, true, [], {}, ['P-A'], { toString: 'x' }),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Mostly the valid value, sometimes a hostile one in its place. */
const field = <T>(
  valid: fc.Arbitrary<T>,
  hostile: fc.Arbitrary<unknown> = fc.oneof(hostileString, wrongType),
) => fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: hostile });

/** `arb` one time in eight, null otherwise. */
const rarely = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });

/** Sometimes drops one key of `m`, sometimes adds an unknown one (both break strict schemas). */
const reshaped = (arb: fc.Arbitrary<Record<string, unknown>>) =>
  fc
    .tuple(
      arb,
      rarely(fc.nat()),
      rarely(fc.tuple(fc.constantFrom('extra', '__proto__'), wrongType)),
    )
    .map(([m, drop, add]) => {
      const out: Record<string, unknown> = { ...m };
      const keys = Object.keys(out);
      if (drop !== null && keys.length > 0) delete out[keys[drop % keys.length]!];
      // defineProperty: an own `__proto__` key, as JSON.parse makes it.
      if (add !== null) Object.defineProperty(out, add[0], { value: add[1], enumerable: true });
      return out;
    });

function hostileMessages(token: string): fc.Arbitrary<Message> {
  const tokenValue = field(
    fc.constant(token),
    fc.oneof(
      fc.constantFrom(
        '',
        token.slice(1),
        `${token}x`,
        token.toUpperCase(),
        ` ${token}`,
        't'.repeat(513),
      ),
      hostileString,
      wrongType,
    ),
  );
  const version = field(fc.constant(1), fc.constantFrom(0, 2, '1', null));
  // Which process and which proposal: the pairs that hold a pending proposal, and the hostile
  // ones (a process gone, a proposal decided, unknown, or pending elsewhere).
  const target = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(['P-A', 'PROP-OK'], ['P-A', QUOTES_ID], ['P-B', 'PROP-B']),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        ['P-GONE', 'PROP-GONE'],
        ['P-A', 'PROP-DONE'],
        ['P-A', 'PROP-NONE'],
        ['P-B', 'PROP-OK'],
        ['P-NOBODY', 'PROP-OK'],
      ),
    },
  );
  // Comments within the bound that JSON escapes sixfold, and over it.
  const comment = fc.oneof(
    fc.string({ maxLength: 32 }),
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '\u0001'.repeat(1024),
        '"'.repeat(1024),
        '\u0001'.repeat(300),
        'x'.repeat(1025),
      ),
    },
    hostileString,
    wrongType,
  );
  const approval = fc
    .tuple(target, fc.option(comment, { freq: 3 }))
    .chain(([[processId, proposalId], note]) =>
      reshaped(
        fc.record({
          type: fc.constant('approval'),
          v: version,
          token: tokenValue,
          processId: field(fc.constant(processId)),
          decision: reshaped(
            fc.record({
              proposalId: field(fc.constant(proposalId)),
              payloadHash: field(
                fc.constant(HASH),
                fc.constantFrom(HASH.toUpperCase(), HASH.slice(1), `${HASH}0`),
              ),
              approver: field(
                fc.constantFrom('alice', 'a'.repeat(128)),
                fc.constantFrom('', 'a'.repeat(129)),
              ),
              verdict: field(
                fc.constantFrom('approve', 'reject'),
                fc.constantFrom('maybe', 'APPROVE'),
              ),
              ...(note === null ? {} : { comment: fc.constant(note) }),
            }),
          ),
        }),
      ),
    );
  const kill = fc
    .tuple(fc.option(fc.constantFrom('P-A', 'P-B', 'P-GONE', 'P-NOBODY')), fc.option(comment))
    .chain(([processId, reason]) =>
      reshaped(
        fc.record({
          type: fc.constant('chaos-kill'),
          v: version,
          token: tokenValue,
          ...(processId === null ? {} : { processId: field(fc.constant(processId)) }),
          ...(reason === null ? {} : { reason: fc.constant(reason) }),
        }),
      ),
    );
  const select = reshaped(
    fc.record({
      type: field(
        fc.constantFrom('select', 'ready', 'unselect'),
        fc.constantFrom('eval', '__proto__', 'Ready'),
      ),
      processId: field(fc.constantFrom('P-A', 'P-NOBODY')),
      taskId: field(fc.constant('t')),
    }),
  );
  const text = (a: fc.Arbitrary<unknown>) =>
    a.map((v): Message => ({ data: JSON.stringify(v), binary: false }));
  // Valid JSON padded to just under and just over the size bound, in bytes (é is two).
  const atBound = fc
    .tuple(fc.constantFrom('x', 'é'), fc.integer({ min: -3, max: 3 }))
    .map(([c, delta]): Message => {
      const shell = '{"type":"select","processId":"","taskId":"t"}';
      const chars = Math.floor(
        (MAX_UI_MESSAGE_BYTES - shell.length + delta) / Buffer.byteLength(c),
      );
      const data = `{"type":"select","processId":"${c.repeat(chars)}","taskId":"t"}`;
      return { data, binary: false };
    });
  return fc.oneof(
    { weight: 6, arbitrary: text(approval) },
    { weight: 4, arbitrary: text(kill) },
    { weight: 2, arbitrary: text(select) },
    text(fc.jsonValue({ maxDepth: 3 })),
    fc.string({ unit: 'binary', maxLength: 64 }).map((data): Message => ({ data, binary: false })),
    fc.uint8Array({ maxLength: 64 }).map((u): Message => ({ data: Buffer.from(u), binary: true })),
    text(approval).map((m): Message => ({ data: Buffer.from(m.data), binary: true })),
    atBound,
  );
}

/** A `/ui` connection that keeps the replies to approvals and kills, and counts state pushes. */
async function uiClient(profiler: Profiler) {
  const url = new URL(profiler.url);
  url.pathname = '/ui';
  const ws = new WebSocket(url.toString());
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  const replies: ServerToUi[] = [];
  let states = 0;
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as ServerToUi;
    if (m.type === 'state') states++;
    else if (m.type !== 'spans') replies.push(m);
  });
  return { ws, replies, states: () => states };
}

/** An exporter-like connection that keeps every frame the profiler relays to it, raw. */
async function exporterLike(profiler: Profiler, processId: string) {
  const fake = await FakeExporter.connect(profiler.url, processId, [{ id: 't' }]);
  const frames: string[] = [];
  fake.ws.on('message', (data) => {
    const text = String(data);
    if (!text.startsWith('{"type":"ack"')) frames.push(text);
  });
  return { fake, frames };
}

const proposal = (proposalId: string, state: 'pending' | 'approved', at = Date.now()) => ({
  kind: 'proposal' as const,
  at,
  proposalId,
  taskId: null,
  summary: 'raise the limit',
  state,
  payloadHash: HASH,
});

const sum = (c: UiChannelCounters) => Object.values(c.refused).reduce((a, b) => a + b, 0);

describe('the /ui channel under fuzzing', function () {
  this.timeout(30_000);
  let profiler: Profiler;
  const errors: unknown[] = [];
  const exporters = new Map<string, Awaited<ReturnType<typeof exporterLike>>>();

  beforeEach(async () => {
    errors.length = 0;
    profiler = await startProfiler({
      storePath: false,
      pushIntervalMs: 60_000,
      onError: (e) => errors.push(e),
    });
    for (const id of ['P-A', 'P-B', 'P-GONE']) exporters.set(id, await exporterLike(profiler, id));
    const at = Date.now();
    for (const [id, pending] of Object.entries(PENDING)) {
      exporters.get(id)!.fake.events(pending.map((p) => proposal(p, 'pending', at)));
    }
    // Announced, then decided: no longer approvable.
    exporters
      .get('P-A')!
      .fake.events([
        proposal('PROP-DONE', 'pending', at),
        proposal('PROP-DONE', 'approved', at + 1),
      ]);
    await until(() => (profiler.state().proposals ?? []).length === 5, 5000, 'the proposals');
    exporters.get('P-GONE')!.fake.close();
    exporters.delete('P-GONE');
    await until(
      () => profiler.state().processes.filter((p) => p.connected).length === 2,
      5000,
      'P-GONE gone',
    );
  });
  afterEach(async () => {
    for (const e of exporters.values()) e.fake.close();
    exporters.clear();
    await profiler.close();
  });

  /** Frames each exporter received so far that the test has already checked. */
  const checked = new Map<string, number>();

  async function sendAndCheck(messages: Message[]): Promise<void> {
    const before = profiler.counters().ui;
    for (const [id, e] of exporters) checked.set(id, e.frames.length);
    const ui = await uiClient(profiler);
    try {
      for (const m of messages) ui.ws.send(m.data, { binary: m.binary });
      const oracle = messages.map((m) => expected(m, profiler.token));
      await until(
        () => profiler.counters().ui.received - before.received === messages.length,
        5000,
        'every message read',
      );
      const replying = oracle.filter((o) => o.replies);
      await until(() => ui.replies.length === replying.length, 5000, 'every reply');

      // Counted once each, under the outcome the oracle gives.
      const after = profiler.counters().ui;
      const counts = (c: UiChannelCounters): Record<string, number> => ({
        accepted: c.accepted,
        ...c.refused,
      });
      const delta = Object.fromEntries(
        Object.entries(counts(after)).map(([k, v]) => [k, v - (counts(before)[k] ?? 0)]),
      );
      const want = Object.fromEntries(Object.keys(delta).map((k) => [k, 0]));
      for (const o of oracle) want[o.outcome]!++;
      assert.deepEqual(delta, want);
      assert.equal(after.received, after.accepted + sum(after));

      // Each reply says whether its message went through.
      assert.deepEqual(
        ui.replies.map((r) =>
          r.type === 'state' || r.type === 'spans' || r.type === 'reveal' ? null : r.ok,
        ),
        replying.map((o) => o.outcome === 'accepted'),
      );

      // Exactly the expected frames reached each process, each one its parser accepts.
      for (const [id, e] of exporters) {
        const frames = oracle.flatMap((o) =>
          o.frames.filter(([to]) => to === id).map(([, f]) => f),
        );
        const start = checked.get(id)!;
        await until(() => e.frames.length - start >= frames.length, 5000, `frames at ${id}`);
        await new Promise((r) => setTimeout(r, 5));
        const got = e.frames.slice(start);
        for (const f of got) assert.ok(parseProfilerControlFrame(f), `relayed unparseable ${f}`);
        assert.deepEqual(
          got.map((f) => JSON.parse(f) as unknown),
          frames,
        );
        checked.set(id, e.frames.length);
      }
    } finally {
      ui.ws.terminate();
    }
  }

  it('counts and refuses every bad message, relays only valid frames, and still approves', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(hostileMessages(profiler.token), { minLength: 5, maxLength: 20 }),
        (ms) => sendAndCheck(ms),
      ),
      { numRuns: 120, seed: 4242 },
    );
    // Nothing arrived late either.
    await new Promise((r) => setTimeout(r, 200));
    for (const [id, e] of exporters) assert.equal(e.frames.length, checked.get(id), id);

    // A well-behaved approval after all that still goes through.
    const decision = {
      proposalId: 'PROP-OK',
      payloadHash: HASH,
      approver: 'alice',
      verdict: 'approve',
    };
    await sendAndCheck([
      {
        data: JSON.stringify({
          type: 'approval',
          v: 1,
          processId: 'P-A',
          token: profiler.token,
          decision,
        }),
        binary: false,
      },
    ]);
    const last = exporters.get('P-A')!.frames.at(-1)!;
    assert.deepEqual(parseProfilerControlFrame(last), { type: 'approval', v: 1, decision });
    assert.deepEqual(errors, []);
  });

  it('relays an approval only while its frame fits what the exporter reads', async () => {
    const approve = (comment: string): Message => ({
      data: JSON.stringify({
        type: 'approval',
        v: 1,
        processId: 'P-A',
        token: profiler.token,
        decision: {
          proposalId: QUOTES_ID,
          payloadHash: HASH,
          approver: 'alice',
          verdict: 'approve',
          comment,
        },
      }),
      binary: false,
    });
    // Both are schema-valid; escaped, the second is over 4096 characters.
    await sendAndCheck([approve('fine'), approve('\u0001'.repeat(1024))]);
    assert.equal(profiler.counters().ui.refused.undeliverable, 1);
  });

  it('bounds a flood of kills and of ready messages, and approves again after it', async () => {
    const ui = await uiClient(profiler);
    const a = exporters.get('P-A')!;
    const kill = JSON.stringify({
      type: 'chaos-kill',
      v: 1,
      token: profiler.token,
      processId: 'P-A',
    });
    for (let i = 0; i < 500; i++) ui.ws.send(kill);
    for (let i = 0; i < 2000; i++) ui.ws.send('{"type":"ready"}');
    await until(() => profiler.counters().ui.received === 2500, 10_000, 'every message read');
    await until(() => ui.replies.length === 500, 10_000, 'every kill answered');
    const c = profiler.counters().ui;
    // A burst of 20, then 10/s: the rest are refused, not turned into frames at the process.
    assert.ok(c.accepted - 2000 <= 25 && c.accepted - 2000 >= 20, JSON.stringify(c));
    assert.equal(c.refused.rateLimited, 500 - (c.accepted - 2000));
    await until(() => a.frames.length === c.chaosKillsRelayed, 5000, 'the kills relayed');
    assert.ok(a.frames.every((f) => parseProfilerControlFrame(f)?.type === 'chaos-kill'));
    // 2000 ready messages cost a state reply per turn of the event loop, not one each.
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(ui.states() >= 1 && ui.states() < 100, `${ui.states()} state replies`);

    // The budget refills: the same connection approves a moment later.
    await new Promise((r) => setTimeout(r, 300));
    const decision = {
      proposalId: 'PROP-OK',
      payloadHash: HASH,
      approver: 'alice',
      verdict: 'approve',
    };
    ui.ws.send(
      JSON.stringify({ type: 'approval', v: 1, processId: 'P-A', token: profiler.token, decision }),
    );
    await until(() => ui.replies.length === 501, 5000, 'the approval answered');
    assert.deepEqual(ui.replies.at(-1), {
      type: 'approval-relayed',
      proposalId: 'PROP-OK',
      ok: true,
    });
    await until(
      () => parseProfilerControlFrame(a.frames.at(-1) ?? '')?.type === 'approval',
      5000,
      'the approval at P-A',
    );
    ui.ws.terminate();
    assert.deepEqual(errors, []);
  });

  it('closes a connection on a protocol error (bad UTF-8, a frame over 4 MiB), counted', async () => {
    for (const bad of [Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), Buffer.alloc((4 << 20) + 1, 0x20)]) {
      const ui = await uiClient(profiler);
      const closed = new Promise<number>((r) => ui.ws.once('close', (code) => r(code)));
      ui.ws.send(bad, { binary: false });
      assert.ok([1007, 1009].includes(await closed));
    }
    await until(() => profiler.counters().connections.cut.protocolError === 2, 2000, 'counted');
    // Still serving: the exporters are connected and a new UI client gets the state.
    const ui = await uiClient(profiler);
    ui.ws.send('{"type":"ready"}');
    await until(() => ui.states() === 1, 2000, 'the state');
    assert.equal(profiler.counters().connections.open, 3);
    ui.ws.terminate();
  });
});
