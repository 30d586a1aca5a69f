import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { context, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { FOX_TASK, fox } from '@fox/sdk';
import type { Task } from '../../src/task/task.js';
import { runtime } from '../../src/runtime/runtime.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/redis-server.js';
import { until } from '../support/until.js';
import * as tasks from './fixtures/tasks.js';
import { SDK_ROOT, startWorkerProcess, type WorkerProcess } from './worker-process.js';

const OTEL_WORKER = fileURLToPath(new URL('./fixtures/otel-worker-main.ts', import.meta.url));

interface PrintedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
}

describe('dfox: one OpenTelemetry trace across the caller and the worker process', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let worker: WorkerProcess;
  const exporter = new InMemorySpanExporter();

  before(async function () {
    if (!redisAvailable) this.skip();
    redis = await startRedis();
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    fox.configure({ redis: redis.url, openTelemetry: true });
    // An earlier suite's reset may have emptied the registry this module's tasks joined when
    // first imported: register the one called here again, so the bridge traces it.
    const task = (tasks.traced as unknown as { [FOX_TASK]: Task })[FOX_TASK];
    if (!runtime().registry.get(task.id)) runtime().register(task);
    worker = await startWorkerProcess(
      ['--queue', 'fixtures', '--root', SDK_ROOT, '--redis', redis.url],
      {},
      [OTEL_WORKER],
    );
  });

  after(async () => {
    await worker?.kill();
    await runtime().reset();
    trace.disable();
    context.disable();
    await redis?.stop();
  });

  it("the worker's fox calls are children of the caller's dfox span, in the caller's trace", async () => {
    await trace.getTracer('test').startActiveSpan('request', async (span: Span) => {
      try {
        return await tasks.traced();
      } finally {
        span.end();
      }
    });
    const local = exporter.getFinishedSpans();
    const request = local.find((s) => s.name === 'request')!;
    const remoteCall = local.find((s) => s.name === 'test/dfox/fixtures/tasks.ts#traced')!;
    assert.ok(request && remoteCall, local.map((s) => s.name).join(', '));
    assert.equal(remoteCall.parentSpanContext?.spanId, request.spanContext().spanId);
    const printed = (): PrintedSpan[] =>
      worker
        .output()
        .split('\n')
        .filter((l) => l.startsWith('SPAN '))
        .map((l) => JSON.parse(l.slice(5)) as PrintedSpan);
    const innerName = 'test/dfox/fixtures/tasks.ts#inner';
    await until(() => printed().some((s) => s.name === innerName), 10_000, "the worker's span");
    const inner = printed().find((s) => s.name === innerName)!;
    assert.equal(inner.traceId, request.spanContext().traceId);
    assert.equal(inner.parentSpanId, remoteCall.spanContext().spanId);
  });
});
