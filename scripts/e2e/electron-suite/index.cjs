/* global describe, it */
// The e2e suite inside a desktop VS Code, for @vscode/test-electron (see ../electron.e2e.test.ts).
// Same scenario as the code-server suite, through the VS Code API instead of the UI.
const assert = require('node:assert/strict');
const { readFileSync } = require('node:fs');
const Mocha = require('mocha');
const vscode = require('vscode');

const until = async (check, what, ms = 120_000) => {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
};

function suite() {
  const root = vscode.workspace.workspaceFolders[0].uri;
  const passwords = vscode.Uri.joinPath(root, 'src', 'passwords.ts');

  describe('Fox extension (desktop VS Code)', function () {
    this.timeout(180_000);

    it('reports FOX001 and applies its quick fix', async () => {
      const doc = await vscode.workspace.openTextDocument(passwords);
      await vscode.window.showTextDocument(doc);
      const diagnostic = await until(
        () => vscode.languages.getDiagnostics(passwords).find((d) => d.code === 'FOX001'),
        'FOX001',
      );
      const actions = await vscode.commands.executeCommand(
        'vscode.executeCodeActionProvider',
        passwords,
        diagnostic.range,
      );
      const fix = actions.find((a) => /FOX001/.test(a.title));
      assert.ok(fix?.edit, 'a FOX001 quick fix with an edit');
      assert.ok(await vscode.workspace.applyEdit(fix.edit));
      await doc.save();
      assert.match(readFileSync(passwords.fsPath, 'utf8'), /@fox\(\{ mode: 'tfox' \}\)/);
    });

    it('injects FOX_PROFILER into a debug launch and shows the task in the profiler', async () => {
      const folder = vscode.workspace.workspaceFolders[0];
      assert.ok(await vscode.debug.startDebugging(folder, 'Run sample (Fox profiler)'));
      // The status bar counts connected processes; the panel opens on connect.
      await until(
        () =>
          vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.label === 'Fox Profiler')),
        'the profiler panel',
      );
      await vscode.debug.stopDebugging();
    });

    it('offers `fox` tasks: the npm scripts and the tasks.json entry', async () => {
      const tasks = await vscode.tasks.fetchTasks({ type: 'fox' });
      const names = tasks.map((t) => t.name);
      assert.ok(names.includes('npm run start'), names.join(', '));
      assert.ok(names.includes('Run sample (fox task)'), names.join(', '));
    });
  });
}

exports.run = async function run() {
  const mocha = new Mocha({ ui: 'bdd', timeout: 180_000, color: false });
  mocha.suite.emit('pre-require', globalThis, 'electron-suite', mocha);
  suite();
  await new Promise((resolve, reject) =>
    mocha.run((failures) => (failures ? reject(new Error(`${failures} failed`)) : resolve())),
  );
};
