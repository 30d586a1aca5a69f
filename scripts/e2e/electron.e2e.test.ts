import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The same scenario under @vscode/test-electron, in a desktop VS Code. This machine cannot
 * download one, so it runs only when VSCODE_EXECUTABLE points at an installed VS Code
 * (e.g. `VSCODE_EXECUTABLE=/usr/share/code/code npm run test:e2e`); otherwise it is skipped.
 */

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');

describe('Fox extension in desktop VS Code (@vscode/test-electron)', function () {
  this.timeout(300_000);

  it('runs the e2e suite inside VS Code', async function () {
    const executable = process.env['VSCODE_EXECUTABLE'];
    if (!executable) {
      console.log(
        '    (skipped: set VSCODE_EXECUTABLE to a desktop VS Code to run this suite; ' +
          'vscode.e2e.test.ts covers the same scenario in code-server)',
      );
      this.skip();
    }
    const { runTests } = await import('@vscode/test-electron');
    const root = mkdtempSync(join(tmpdir(), 'fox-electron-'));
    const workspace = join(root, 'workspace');
    try {
      cpSync(join(repoRoot, 'samples/vscode-workspace'), workspace, { recursive: true });
      mkdirSync(join(workspace, 'node_modules', '@fox'), { recursive: true });
      symlinkSync(join(repoRoot, 'sdk'), join(workspace, 'node_modules', '@fox', 'sdk'), 'dir');
      const code = await runTests({
        vscodeExecutablePath: executable,
        extensionDevelopmentPath: join(repoRoot, 'extension'),
        extensionTestsPath: join(here, 'electron-suite', 'index.cjs'),
        launchArgs: [
          workspace,
          '--disable-workspace-trust',
          '--user-data-dir',
          join(root, 'user-data'),
          '--extensions-dir',
          join(root, 'extensions'),
        ],
      });
      assert.equal(code, 0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
