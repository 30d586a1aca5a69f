/** `@fox/sdk/cli`: the sdk-side `fox` subcommands; `sdk/bin/fox.js` loads them on demand. */
export { approvalsMain } from './approvals.js';
export { auditMain } from './audit.js';
export { chaosMain } from './chaos.js';
export { flowsMain } from './flows.js';
export { tuneMain } from './tune.js';
export { workerMain } from './worker.js';
