import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

// The repository's own ESLint config (eslint.config.js, which spreads scripts/lint/sdk-layers.js):
// what `npm run lint` runs in CI. Each case lints source text as if it were an existing file of
// sdk/src, so the layer of the importer is the real one.
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

async function layerErrors(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: repoRoot });
  const [result] = await eslint.lintText(code, { filePath: join(repoRoot, file) });
  // An empty list must mean "linted, no layer error": not a parse error or an ignored file
  // (both reported as messages without a ruleId, which the filter below would drop).
  assert.deepEqual(
    result!.messages.filter((m) => m.fatal || m.ruleId === null).map((m) => m.message),
    [],
  );
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('sdk layering (lint)', function () {
  this.timeout(120_000);

  it('rejects an import that runs back up a layer (a policy importing the task pipeline)', async () => {
    const errors = await layerErrors(
      'sdk/src/policies/retry.ts',
      "import { Task } from '../task/task.js';\nexport const t = Task;\n",
    );
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /'policies' layer must not import 'task\/task\.ts'/);
  });

  it('rejects wiring imported from below, at any depth (a tfox worker importing the runtime)', async () => {
    const errors = await layerErrors(
      'sdk/src/modes/tfox/worker/worker-main.ts',
      "export { runtime } from '../../../runtime/runtime.js';\n",
    );
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /'strategy' layer must not import 'runtime'/);
  });

  it('rejects a same-folder back-edge (the shared call types importing the task pipeline)', async () => {
    const errors = await layerErrors(
      'sdk/src/task/call.ts',
      "import type { Task } from './task.js';\nexport type T = Task;\n",
    );
    assert.equal(errors.length, 1);
  });

  it('accepts imports that point down (chaos → guardian, policies → task, wiring → all)', async () => {
    assert.deepEqual(
      await layerErrors(
        'sdk/src/chaos/forge.ts',
        "import type { Guardian } from '../guardian/guardian.js';\nimport type { Attempt } from '../task/call.js';\nexport type T = [Guardian, Attempt];\n",
      ),
      [],
    );
    assert.deepEqual(
      await layerErrors(
        'sdk/src/runtime/profiling.ts',
        "import { buildPolicies } from '../policies/index.js';\nimport { ChaosForge } from '../chaos/forge.js';\nexport const x = [buildPolicies, ChaosForge];\n",
      ),
      [],
    );
  });

  it("rejects a type import up the layers too (auto reading the pipeline's Task)", async () => {
    const errors = await layerErrors(
      'sdk/src/modes/auto/auto-controller.ts',
      "import type { Task } from '../../task/task.js';\nexport type T = Task;\n",
    );
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /'strategy' layer must not import 'task\/task.ts'/);
  });
});
