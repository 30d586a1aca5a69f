// One measurement in a fresh process: N sequential awaited calls of a trivial async function
// through one wrapper, after warm-up. Prints ns/call. Plain JS against the built packages, so
// nothing but the wrapper differs between variants.
import { performance } from 'node:perf_hooks';

const [variant, nArg] = process.argv.slice(2);
const N = Number(nArg ?? 1e6);
const target = async (x) => x + 1;

async function make(name) {
  switch (name) {
    case 'bare':
      return target;
    case 'fox-sfox': {
      const { fox } = await import('@fox/sdk');
      return fox({ mode: 'sfox', id: 'bench#sfox' }, target);
    }
    case 'fox-wfox': {
      const { fox } = await import('@fox/sdk');
      return fox(
        { mode: 'wfox', id: 'bench#wfox', limiter: { algorithm: 'fixed', initial: 1000 } },
        target,
      );
    }
    case 'cockatiel-noop': {
      const { noop } = await import('cockatiel');
      return (x) => noop.execute(() => target(x));
    }
    case 'p-limit': {
      const { default: pLimit } = await import('p-limit');
      const limit = pLimit(Infinity);
      return (x) => limit(target, x);
    }
    default:
      throw new Error(`unknown variant ${name}`);
  }
}

const fn = await make(variant);
let sink = 0;
for (let i = 0; i < Math.min(N, 300_000); i++) sink += await fn(i);
const t0 = performance.now();
for (let i = 0; i < N; i++) sink += await fn(i);
const ns = ((performance.now() - t0) * 1e6) / N;
if (sink === -1) console.log('unreachable');
console.log(JSON.stringify({ variant, ns }));
