/** Vault entries of the execution strategies (sdk/src/modes). */
import type { Pattern } from './pattern.js';

export const STRATEGY_PATTERNS: readonly Pattern[] = [
  {
    id: 'sfox',
    kind: 'strategy',
    name: 'SimpleFox (sfox)',
    option: 'mode',
    problem: 'Light async work needs resilience and visibility without paying for scheduling.',
    whenToUse: [
      'Light work and I/O that is already bounded elsewhere; prototyping; low-latency messaging.',
      'The default when unsure and the function is cheap.',
    ],
    whenNotToUse: [
      'CPU-heavy functions: they block the event loop (use tfox).',
      'Unbounded fan-out to a dependency (use wfox or mfox to bound it).',
    ],
    parameters: [
      {
        name: 'mode',
        type: "'sfox'",
        default: 'sfox',
        description: 'Runs the call directly on the caller’s event loop.',
      },
    ],
    example: `import { fox } from '@fox/sdk';

export const greet = fox({ mode: 'sfox' }, async function greet(name: string): Promise<string> {
  return \`hello \${name}\`;
});
`,
    verification: { level: 'documented', evidence: [] },
    related: ['timeout', 'retry-budget'],
  },
  {
    id: 'wfox',
    kind: 'strategy',
    name: 'WaterFox (wfox)',
    option: 'mode',
    problem:
      'Mixed workloads against shared backends: a fixed concurrency limit is either too low (idle capacity) or too high (queueing collapse).',
    whenToUse: [
      'Request handling, database queries, gateways: an adaptive limiter (gradient, Vegas, AIMD) finds the concurrency the backend sustains.',
    ],
    whenNotToUse: [
      'CPU-bound work (tfox); trivial functions where the limiter costs more than it saves (sfox).',
    ],
    parameters: [
      {
        name: 'mode',
        type: "'wfox'",
        default: 'wfox',
        description: 'Runs calls through an adaptive concurrency limiter with a queue.',
      },
      {
        name: 'limiter',
        type: "{ algorithm: 'gradient' | 'vegas' | 'aimd' | 'fixed', … }",
        description: 'Limiter algorithm and bounds.',
      },
    ],
    example: `import { fox } from '@fox/sdk';

export const query = fox(
  { mode: 'wfox', limiter: { algorithm: 'gradient' }, timeout: '3s' },
  async function query(sql: string): Promise<number> {
    return sql.length;
  },
);
`,
    verification: { level: 'documented', evidence: [] },
    related: ['bulkhead', 'breaker'],
  },
  {
    id: 'tfox',
    kind: 'strategy',
    name: 'ThunderFox (tfox)',
    option: 'mode',
    problem:
      'CPU-heavy functions block the event loop and stall every other request of the process.',
    whenToUse: [
      'Hashing, compression, parsing, image and math work: runs on a worker-thread pool.',
    ],
    whenNotToUse: [
      'I/O-bound functions (the worker hop only adds latency).',
      'Functions that close over local state: the worker imports the function by module and export name.',
    ],
    parameters: [
      {
        name: 'mode',
        type: "'tfox'",
        default: 'tfox',
        description: 'Runs the call on a worker-thread pool.',
      },
    ],
    example: `import { fox } from '@fox/sdk';

export const checksum = fox({ mode: 'tfox' }, async function checksum(data: Uint8Array): Promise<number> {
  let h = 0;
  for (const b of data) h = (h * 31 + b) >>> 0;
  return h;
});
`,
    verification: { level: 'documented', evidence: [] },
    related: ['timeout', 'bulkhead'],
  },
  {
    id: 'mfox',
    kind: 'strategy',
    name: 'MiniFox (mfox)',
    option: 'mode',
    problem:
      'I/O fan-out (files, network, backups, logs) opens too many handles at once, or too few to use the bandwidth.',
    whenToUse: [
      'Files, network fan-out, streams and batches: an I/O lane bounds concurrency per resource and reuses connections.',
    ],
    whenNotToUse: ['CPU-bound work (tfox); single light calls (sfox).'],
    parameters: [
      {
        name: 'mode',
        type: "'mfox'",
        default: 'mfox',
        description: 'Runs the call in an I/O lane.',
      },
      {
        name: 'lane',
        type: 'string',
        description: 'The lane (resource) to share with other tasks.',
      },
    ],
    example: `import { fox } from '@fox/sdk';

export const upload = fox(
  { mode: 'mfox', lane: 'net', retry: 3 },
  async function upload(path: string, body: Uint8Array): Promise<number> {
    return path.length + body.length;
  },
);
`,
    verification: { level: 'documented', evidence: [] },
    related: ['bulkhead', 'rate-limit'],
  },
];
