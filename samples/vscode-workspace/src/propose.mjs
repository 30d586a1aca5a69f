// Stands in for a process whose guardian proposes a change, speaking the wire protocol the sdk's
// exporter speaks: hello, then a `proposal` event. It applies the change when an approval frame
// for it comes back over the same connection (the guardian's channel), and reports `applied`.
// Node 20 needs `--experimental-websocket` for the global WebSocket (see .vscode/launch.json).
import { createHash, randomUUID } from 'node:crypto';

const url = process.env.FOX_PROFILER;
if (!url) {
  console.log('FOX_PROFILER is not set: run this under the debugger with the Fox extension.');
  process.exit(0);
}
const processId = randomUUID();
const proposalId = `P${Date.now().toString(36).toUpperCase()}`;
const taskId = 'src/app.mjs#crunch';
const summary = 'switch crunch from sfox to tfox (event loop blocked 62% of the last minute)';
// The guardian binds approvals to the SHA-256 of the canonical payload; so does this stand-in.
const payload = { to: 'tfox' };
const payloadHash = createHash('sha256').update(JSON.stringify(payload)).digest('hex');
const ws = new WebSocket(url);
const send = (frame) => ws.send(JSON.stringify(frame));
const propose = (state) =>
  send({
    type: 'events',
    events: [{ kind: 'proposal', at: Date.now(), proposalId, taskId, summary, state, payloadHash }],
  });

ws.addEventListener('open', () => {
  send({
    type: 'hello',
    v: 1,
    process: {
      id: processId,
      pid: process.pid,
      argv: process.argv,
      nodeVersion: process.version,
      projectRoot: process.cwd(),
      startedAt: Date.now(),
    },
    tasks: [],
  });
  propose('pending');
  console.log(`proposed ${proposalId}: ${summary}`);
});
ws.addEventListener('message', (e) => {
  let frame;
  try {
    frame = JSON.parse(String(e.data));
  } catch {
    return;
  }
  if (frame?.type !== 'approval' || frame.decision?.proposalId !== proposalId) return;
  if (frame.decision.payloadHash !== payloadHash) return; // bound to another change: ignore
  const approved = frame.decision.verdict === 'approve';
  console.log(`${approved ? 'approved' : 'rejected'} by ${frame.decision.approver}`);
  propose(approved ? 'applied' : 'denied');
  setTimeout(() => process.exit(0), 500);
});
ws.addEventListener('error', () => process.exit(1));
// Keep the process alive (and the proposal open) until a decision or the test ends.
setTimeout(() => process.exit(0), 10 * 60_000);
