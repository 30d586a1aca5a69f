import assert from 'node:assert/strict';
import { context, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { FoxConfigError, fox } from '@fox/sdk';
import { runtime } from '../../src/runtime/runtime.js';

describe('OpenTelemetry bridge', () => {
  let exporter: InMemorySpanExporter;

  function register(): void {
    exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
  }

  const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
  const named = (name: string): ReadableSpan => {
    const s = spans().find((x) => x.name === name);
    assert.ok(
      s,
      `no span named ${name}; got ${spans()
        .map((x) => x.name)
        .join(', ')}`,
    );
    return s;
  };
  const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

  afterEach(async () => {
    await runtime().reset();
    trace.disable();
    context.disable();
  });

  it('makes each fox call a span, nested under the active span and parent of inner calls', async () => {
    register();
    const inner = fox({ id: 'otel#inner' }, async (x: number) => x * 2);
    const outer = fox({ id: 'otel#outer', mode: 'wfox' }, async (x: number) => {
      await new Promise((r) => setTimeout(r, 1));
      return inner(x);
    });
    const tracer = trace.getTracer('test');
    const result = await tracer.startActiveSpan('request', async (span: Span) => {
      try {
        return await outer(21);
      } finally {
        span.end();
      }
    });
    assert.equal(result, 42);
    const request = named('request');
    const outerSpan = named('otel#outer');
    const innerSpan = named('otel#inner');
    assert.equal(parentOf(outerSpan), request.spanContext().spanId);
    assert.equal(parentOf(innerSpan), outerSpan.spanContext().spanId, 'inner call after an await');
    assert.equal(outerSpan.spanContext().traceId, request.spanContext().traceId);
    assert.equal(outerSpan.attributes['fox.task.id'], 'otel#outer');
    assert.equal(outerSpan.attributes['fox.mode'], 'wfox');
    assert.equal(outerSpan.attributes['fox.attempts'], 1);
    assert.equal(outerSpan.status.code, 0);
  });

  it('records failures with the error code, and the attempts retries took', async () => {
    register();
    let n = 0;
    const flaky = fox({ id: 'otel#flaky', retry: { attempts: 3, delay: 0 } }, async () => {
      if (++n < 3) throw Object.assign(new Error('try again'), { code: 'EAGAIN' });
      return 'ok';
    });
    const broken = fox({ id: 'otel#broken' }, () => {
      throw new TypeError('bad');
    });
    assert.equal(await flaky(), 'ok');
    await assert.rejects(broken(), TypeError);
    const ok = named('otel#flaky');
    assert.equal(ok.attributes['fox.attempts'], 3);
    assert.equal(ok.status.code, 0);
    const failed = named('otel#broken');
    assert.equal(failed.status.code, 2);
    assert.equal(failed.status.message, 'bad');
    assert.equal(typeof failed.attributes['error.type'], 'string');
    assert.equal(failed.events[0]?.name, 'exception');
  });

  it('finds a provider registered after the tasks (on configure, and by itself within ~1 s)', async () => {
    const early = fox({ id: 'otel#early' }, async () => 1);
    await early();
    register();
    fox.configure({ openTelemetry: true });
    await early();
    assert.equal(spans().length, 1);

    await runtime().reset();
    trace.disable();
    const late = fox({ id: 'otel#late' }, async () => 1);
    register();
    await late();
    assert.equal(spans().length, 0, 'not yet looked again');
    await new Promise((r) => setTimeout(r, 1100));
    await late();
    assert.equal(spans().length, 1);
  });

  it('does nothing with openTelemetry: false', async () => {
    register();
    fox.configure({ openTelemetry: false });
    const quiet = fox({ id: 'otel#quiet' }, async () => 1);
    await quiet();
    assert.equal(spans().length, 0);
    fox.configure({ openTelemetry: true });
    await quiet();
    assert.equal(spans().length, 1);
  });

  it('accepts the API module explicitly and rejects anything else, naming the option', () => {
    register();
    fox.configure({ openTelemetry: { api: { context, trace } as never } });
    assert.throws(
      () => fox.configure({ openTelemetry: { api: {} as never } }),
      (err: unknown) =>
        err instanceof FoxConfigError &&
        err.path[0] === 'openTelemetry' &&
        /@opentelemetry\/api/.test(err.message),
    );
  });
});
