import assert from 'node:assert/strict';
import { context, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { FoxFlowError, fox } from '@fox/sdk';
import { runtime } from '../../src/runtime/runtime.js';

describe('flows through the OpenTelemetry bridge', () => {
  let exporter: InMemorySpanExporter;
  beforeEach(() => {
    exporter = new InMemorySpanExporter();
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
  });
  afterEach(async () => {
    await runtime().reset();
    trace.disable();
    context.disable();
  });

  const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
  const named = (name: string) => spans().filter((s) => s.name === name);
  const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
  const idOf = (s: ReadableSpan) => s.spanContext().spanId;

  it('nests the run under the active span, nodes under the run, task calls under their node', async () => {
    const lookup = fox({ id: 'flow-otel#lookup' }, async (x: number) => {
      await new Promise((r) => setTimeout(r, 1));
      return x + 1;
    });
    const flow = fox
      .flow('otel')
      .node('a', () => lookup(1))
      .node('b', { needs: ['a'] }, async ({ a }) => {
        await new Promise((r) => setImmediate(r));
        return lookup(a);
      })
      .node('c', { needs: ['a'] }, ({ a }) => a * 10)
      .build();
    const result = await trace.getTracer('test').startActiveSpan('request', async (span: Span) => {
      try {
        return await flow.run();
      } finally {
        span.end();
      }
    });
    assert.deepEqual(result.results, { a: 2, b: 3, c: 20 });
    const [request] = named('request');
    const [run] = named('flow:otel');
    assert.ok(run && request);
    assert.equal(parentOf(run), idOf(request));
    const nodes = ['a', 'b', 'c'].map((n) => named(`flow:otel#${n}`)[0]!);
    for (const node of nodes) assert.equal(parentOf(node), idOf(run), node.name);
    const calls = named('flow-otel#lookup');
    assert.equal(calls.length, 2);
    assert.deepEqual(calls.map(parentOf).sort(), [idOf(nodes[0]!), idOf(nodes[1]!)].sort());
  });

  it('marks the run and the failed node as errors', async () => {
    fox({ id: 'flow-otel#any' }, async () => 1); // a task registration starts the bridge
    const flow = fox
      .flow('otel-fail')
      .node('bad', () => {
        throw new Error('nope');
      })
      .build();
    await assert.rejects(flow.run(), FoxFlowError);
    assert.equal(named('flow:otel-fail')[0]?.status.code, 2);
    assert.equal(named('flow:otel-fail#bad')[0]?.status.code, 2);
  });
});
