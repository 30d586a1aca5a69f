import { FoxError } from '../errors/errors.js';
import { startFoxWorker } from '../runtime/dfox/fox-worker.js';
import { runtime } from '../runtime/runtime.js';
import { parseCommandLine, processIo, UsageError, type Io } from './args.js';

const USAGE = `usage: fox worker --queue NAME [--queue NAME …] [--concurrency N] [--root DIR]
                  [--redis URL] [--job-timeout MS] [--prefix P]
  runs dfox jobs of the named queues: tasks are found by task id under --root (default: the
  current directory), checked against the caller's code hash, and run here.
  --redis defaults to FOX_REDIS; --job-timeout (the longest task timeout on these queues)
  sets how fast a job whose worker died is taken over (lock duration and stalled check).`;

const FLAGS = {
  queue: { type: 'string', multiple: true },
  concurrency: { type: 'string' },
  root: { type: 'string' },
  redis: { type: 'string' },
  'job-timeout': { type: 'string' },
  prefix: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * `fox worker`: serves queues until SIGINT or SIGTERM, then stops taking jobs, lets running
 * ones finish and exits 0. Exit 2 on a usage error, 1 when the worker cannot start.
 */
export async function workerMain(
  argv: readonly string[],
  io: Io = processIo,
  stop: Promise<unknown> = stopSignal(),
): Promise<number> {
  let values;
  try {
    const args = parseCommandLine(argv, FLAGS);
    values = args.values;
    if (args.positionals.length > 0 || args.rest.length > 0) {
      throw new UsageError(`unexpected argument '${args.positionals[0] ?? args.rest[0]}'`);
    }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`fox worker: ${err.message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const number = (flag: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n)) throw new UsageError(`--${flag} expects an integer, got '${text}'`);
    return n;
  };
  let worker;
  try {
    const concurrency = number('concurrency', values.concurrency);
    const jobTimeout = number('job-timeout', values['job-timeout']);
    worker = await startFoxWorker(
      {
        queues: values.queue ?? [],
        ...(concurrency !== undefined ? { concurrency } : {}),
        ...(jobTimeout !== undefined ? { jobTimeout } : {}),
        ...(values.root !== undefined ? { root: values.root } : {}),
        ...(values.redis !== undefined ? { redis: values.redis } : {}),
        ...(values.prefix !== undefined ? { prefix: values.prefix } : {}),
      },
      { ...runtime().dfoxQueues.workerDefaults(), clock: runtime().clock },
    );
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`fox worker: ${err.message}\n${USAGE}`);
      return 2;
    }
    if (err instanceof FoxError) {
      io.err(`fox worker: ${err.message}`);
      return err.code === 'FOX_CONFIG' ? 2 : 1;
    }
    throw err;
  }
  // The functions it runs may call dfox tasks themselves: on the same Redis by default.
  if (values.redis !== undefined) runtime().configure({ redis: values.redis });
  io.out(
    `fox worker: ready pid=${process.pid} queues=${worker.queues.join(',')} root=${worker.root} ` +
      `lockDuration=${worker.locks.lockDuration}ms stalledInterval=${worker.locks.stalledInterval}ms`,
  );
  await stop;
  await worker.close();
  await runtime().shutdown();
  const c = worker.counters;
  io.out(`fox worker: stopped (ran ${c.ran}, failed ${c.failed}, refused ${c.refused})`);
  return 0;
}

function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
