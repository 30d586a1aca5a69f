import assert from 'node:assert/strict';
import { PROFILER_ENV_VAR, profilerUrl, withProfilerEnv } from '../../src/profiler-env.js';

describe('profiler env', () => {
  const url = 'ws://127.0.0.1:41234?token=abc';

  describe('profilerUrl', () => {
    it('builds the FOX_PROFILER value on loopback', () => {
      assert.equal(profilerUrl({ port: 41234, token: 'abc' }), url);
    });

    it('brackets IPv6 hosts and escapes the token', () => {
      assert.equal(
        profilerUrl({ host: '::1', port: 9, token: 'a b&c=d' }),
        'ws://[::1]:9?token=a%20b%26c%3Dd',
      );
    });

    it('rejects a bad port or an empty token', () => {
      assert.throws(() => profilerUrl({ port: 0, token: 'abc' }), RangeError);
      assert.throws(() => profilerUrl({ port: 70000, token: 'abc' }), RangeError);
      assert.throws(() => profilerUrl({ port: 1.5, token: 'abc' }), RangeError);
      assert.throws(() => profilerUrl({ port: 80, token: '' }), RangeError);
    });
  });

  describe('withProfilerEnv', () => {
    it('adds FOX_PROFILER to a node launch without touching other variables', () => {
      const config = { type: 'node', request: 'launch', name: 'app', env: { DEBUG: 'x' } };
      const out = withProfilerEnv(config, url);
      assert.deepEqual(out, { ...config, env: { DEBUG: 'x', [PROFILER_ENV_VAR]: url } });
      assert.deepEqual(config.env, { DEBUG: 'x' }, 'input not mutated');
    });

    it('creates env when the configuration has none', () => {
      const out = withProfilerEnv({ type: 'pwa-node', request: 'launch' }, url);
      assert.deepEqual(out.env, { [PROFILER_ENV_VAR]: url });
    });

    it("keeps the user's own value, and null as an opt-out", () => {
      for (const value of ['ws://127.0.0.1:1?token=mine', null]) {
        const config = { type: 'node', request: 'launch', env: { [PROFILER_ENV_VAR]: value } };
        assert.equal(withProfilerEnv(config, url), config);
      }
    });

    it('leaves attach requests and other debuggers alone', () => {
      const attach = { type: 'node', request: 'attach', port: 9229 };
      const python = { type: 'python', request: 'launch' };
      assert.equal(withProfilerEnv(attach, url), attach);
      assert.equal(withProfilerEnv(python, url), python);
    });
  });
});
