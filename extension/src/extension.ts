import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node.js';
import { startProfiler } from '@fox/profiler';
import type { ProfilerOptions, UiState } from '@fox/profiler';
import { parseTaskId } from '@fox/sdk/task-id';
import { ApprovalsTree, APPROVALS_VIEW_ID } from './approvals/approvals-view.js';
import {
  approverName,
  sendDecisions,
  type DecisionResult,
  type DecisionTarget,
} from './approvals/decision-channel.js';
import {
  ProposalBook,
  proposalForDecision,
  type Decision,
  type ProposalItem,
} from './approvals/proposal-book.js';
import { createLanguageClient, watchServerState } from './language/language-client.js';
import { LiveStatsForwarder } from './language/live-stats-forwarder.js';
import { newlyConnected, type PanelActions } from './panel/panel-bridge.js';
import { ProfilerPanel } from './panel/profiler-panel.js';
import { PROFILER_ENV_VAR, withProfilerEnv } from './profiler-env.js';
import { ProfilerHost } from './profiler/profiler-host.js';
import { startWithStore, storeChoice, type StoreChoice } from './profiler/profiler-start.js';
import { statusView } from './status-text.js';
import { findDeclaration, taskLocation } from './task-source.js';
import { FOX_TASK_TYPE } from './tasks/fox-task.js';
import { FoxTaskProvider } from './tasks/fox-task-provider.js';
import { defaultRunCommand, folderRelative, LAST_RUN_COMMAND_KEY } from './tasks/run-command.js';

/** Debug types of VS Code's JavaScript debugger that launch Node. */
const NODE_DEBUG_TYPES = ['node', 'pwa-node', 'node-terminal'];

let client: LanguageClient | undefined;
let host: ProfilerHost | undefined;

const setting = <T>(key: string, fallback: T): T =>
  vscode.workspace.getConfiguration('fox').get<T>(key, fallback);

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Fox', { log: true });
  const book = new ProposalBook();
  const tree = new ApprovalsTree(book);
  // Without better-sqlite3 (a .vsix has no native modules) the profiler runs in memory only.
  const profilerHost = (host = new ProfilerHost(
    (o) => startWithStore(startProfiler, o, profilerStore(), log),
    profilerOptions,
  ));
  // The panel's approve/reject buttons take the approvals view's path (same identity, same
  // repeats folded in); the page only names the proposal and the hash it showed.
  const panelActions: PanelActions = {
    decide: async (d) => {
      const found = proposalForDecision(book, d);
      if ('reason' in found) return { ok: false, reason: found.reason };
      const result = await decide(found.item, d.verdict);
      return result.delivered ? { ok: true } : { ok: false, reason: result.detail };
    },
    // The kill switch stops injection at once, no approval: it only ever removes faults.
    chaosKill: async (k) => {
      const profiler = profilerHost.profiler;
      if (!profiler) return { ok: false, processes: 0, reason: 'the Fox profiler is not running' };
      const result = profiler.killChaos(k.processId, k.reason);
      log.info(`chaos stop (${k.processId ?? 'all processes'}): ${result.processes} process(es)`);
      return result;
    },
  };
  const panel = new ProfilerPanel(
    context.extensionUri,
    profilerHost,
    (s) => {
      if (setting('profiler.revealTaskOnSelect', true)) void showTask(s.taskId, s.processId, true);
    },
    panelActions,
  );
  const status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);
  status.name = 'Fox';
  status.command = 'fox.openProfiler';
  context.subscriptions.push(log, tree, panel, status);

  // ---- live state → language server: the profiler feeds code lens, hover and runtime findings
  // directly (`fox/liveStats`), so they show numbers even when the profiler has no store.
  const forwarder = new LiveStatsForwarder({
    send: (method, params) => {
      if (!client?.isRunning()) return false;
      return client.sendNotification(method, params).then(
        () => true,
        () => false,
      );
    },
    label: () =>
      vscode.debug.activeDebugSession
        ? 'live from the debug session'
        : 'live from the profiled run',
    log: (m) => {
      const p = profilerHost.profiler;
      log.info(
        `${m}; ${p?.storePath ? `past runs from ${p.storePath}` : 'no store: live numbers only, nothing kept after the window closes'}`,
      );
    },
  });
  context.subscriptions.push(
    profilerHost.onTick((state) => {
      const profiler = profilerHost.profiler;
      const cpu = profiler?.cpuFunctions({ minutes: 5 });
      const runId =
        profiler?.sessionId ??
        state?.processes
          .map((p) => p.id)
          .join(',')
          .slice(0, 512);
      void forwarder.tick(state, { ...(runId ? { runId } : {}), ...(cpu ? { cpu } : {}) });
    }),
  );

  // ---- live state → status bar, approvals, auto-open
  const seen = new Set<string>();
  const render = (state: UiState | undefined): void => {
    const connected = state?.processes.filter((p) => p.connected).length ?? 0;
    const view = statusView({
      running: profilerHost.profiler !== undefined,
      connected,
      pending: book.pending().length,
    });
    status.text = view.text;
    status.tooltip = view.tooltip;
    status.backgroundColor = view.attention
      ? new vscode.ThemeColor('statusBarItem.warningBackground')
      : undefined;
    status.show();
  };
  context.subscriptions.push(
    profilerHost.onTick((state) => {
      if (!state) return render(state);
      const before = book.version;
      const fresh = book.update(state.events);
      if (book.version !== before) tree.refresh();
      for (const p of fresh) notifyProposal(p);
      const arrived = newlyConnected(seen, state);
      if (arrived.length > 0) {
        log.info(`process connected: ${arrived.join(', ')}`);
        if (setting('profiler.autoOpen', true)) panel.show(true);
      }
      render(state);
    }),
  );
  render(undefined);

  const notifyProposal = (p: ProposalItem): void => {
    if (!setting('approvals.notify', true)) return;
    void vscode.window
      .showInformationMessage(`Fox proposal: ${p.summary}`, 'Approve', 'Reject', 'Show')
      .then((choice) => {
        if (choice === 'Approve') void decide(p, 'approve');
        else if (choice === 'Reject') void decide(p, 'reject');
        else if (choice === 'Show')
          void vscode.commands.executeCommand(`${APPROVALS_VIEW_ID}.focus`);
      });
  };

  const decide = async (
    p: ProposalItem | string | undefined,
    decision: Decision,
  ): Promise<DecisionResult> => {
    const item = typeof p === 'string' ? book.get(p) : p;
    if (!item) return { delivered: false, detail: 'no such proposal' };
    const by = approverName(setting<string>('approvals.approver', ''), vscode.env.machineId);
    const result = await sendDecisions(
      profilerHost.profiler satisfies DecisionTarget | undefined,
      book.decidedWith(item.id),
      decision,
      by,
    );
    if (result.delivered) book.markDecided(item.id, decision);
    tree.refresh();
    render(profilerHost.profiler?.state());
    log.info(`proposal ${item.id} ${decision} as ${by}: ${result.detail}`);
    if (!result.delivered) void vscode.window.showWarningMessage(`Fox: ${result.detail}`);
    return result;
  };

  // ---- debug sessions get FOX_PROFILER
  const provider: vscode.DebugConfigurationProvider = {
    async resolveDebugConfigurationWithSubstitutedVariables(_folder, config) {
      if (config.request !== 'launch' || !setting('profiler.injectIntoDebugSessions', true)) {
        return config;
      }
      try {
        const profiler = await profilerHost.ensure();
        render(profiler.state());
        return withProfilerEnv(config, profiler.url);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        log.error(`profiler could not start: ${message}`);
        void vscode.window.showWarningMessage(`Fox profiler could not start: ${message}`);
        return config; // debugging must never depend on the profiler
      }
    },
  };
  for (const type of NODE_DEBUG_TYPES) {
    context.subscriptions.push(vscode.debug.registerDebugConfigurationProvider(type, provider));
  }

  // ---- tasks: reveal the source
  const showTask = async (taskId: unknown, processId?: string, preserveFocus = false) => {
    if (typeof taskId !== 'string') return;
    const state = profilerHost.profiler?.state();
    const task = state?.tasks.find(
      (t) => t.id === taskId && (processId === undefined || t.processId === processId),
    );
    const where = taskLocation(taskId, task?.location);
    if (!where) {
      void vscode.window.showWarningMessage(`Fox: no source known for task ${taskId}`);
      return;
    }
    const roots = [
      state?.processes.find((p) => p.id === task?.processId)?.projectRoot,
      ...(vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
    ].filter((r): r is string => typeof r === 'string' && r.length > 0);
    for (const root of roots) {
      const uri = vscode.Uri.joinPath(vscode.Uri.file(root), where.file);
      let doc: vscode.TextDocument;
      try {
        doc = await vscode.workspace.openTextDocument(uri);
      } catch {
        continue;
      }
      let pos = new vscode.Position(Math.max(0, where.line - 1), Math.max(0, where.column - 1));
      if (where.line === 0) {
        const name = parseTaskId(taskId)?.name ?? taskId;
        const found = findDeclaration(doc.getText(), name);
        if (found) pos = new vscode.Position(found.line, found.column);
      }
      await vscode.window.showTextDocument(doc, {
        selection: new vscode.Range(pos, pos),
        viewColumn: vscode.ViewColumn.One,
        preserveFocus,
      });
      return;
    }
    void vscode.window.showWarningMessage(`Fox: cannot find ${where.file} for task ${taskId}`);
  };

  // ---- commands
  const command = (id: string, run: (...args: unknown[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, run));
  command('fox.openProfiler', async () => {
    await profilerHost.ensure();
    panel.show();
  });
  command('fox.startProfiler', async () => {
    const p = await profilerHost.ensure();
    void vscode.window.showInformationMessage(`Fox profiler listening on 127.0.0.1:${p.port}`);
  });
  command('fox.stopProfiler', async () => {
    const running = profilerHost.profiler !== undefined;
    await profilerHost.stop();
    if (running) log.info('profiler stopped');
  });
  command('fox.openProfilerInBrowser', async () => {
    const p = await profilerHost.ensure();
    await vscode.env.openExternal(vscode.Uri.parse(p.uiUrl));
  });
  command('fox.runWithProfiler', async (cmd?: unknown) => {
    const profiler = await profilerHost.ensure();
    const active = vscode.window.activeTextEditor?.document.uri;
    const folder =
      (active && vscode.workspace.getWorkspaceFolder(active)) ??
      vscode.workspace.workspaceFolders?.[0];
    let line: string | undefined;
    if (typeof cmd === 'string') {
      line = cmd;
    } else {
      line = await vscode.window.showInputBox({
        title: 'Fox: Run with profiler',
        prompt: `Command to run with ${PROFILER_ENV_VAR} set, in ${folder?.name ?? 'the current folder'}`,
        value: defaultRunCommand({
          remembered: context.workspaceState.get<string>(LAST_RUN_COMMAND_KEY),
          packageJson: folder && (await readText(vscode.Uri.joinPath(folder.uri, 'package.json'))),
          activeFile:
            active?.scheme === 'file'
              ? folderRelative(folder?.uri.fsPath, active.fsPath)
              : undefined,
        }),
      });
      if (line) await context.workspaceState.update(LAST_RUN_COMMAND_KEY, line);
    }
    if (!line) return;
    const terminal = vscode.window.createTerminal({
      name: 'Fox: profiled',
      env: { [PROFILER_ENV_VAR]: profiler.url },
      cwd: folder?.uri,
    });
    context.subscriptions.push(terminal);
    terminal.show();
    terminal.sendText(line);
  });
  command('fox.showTask', (taskId) => showTask(taskId));
  // The hover's "Open in the profiler" link: the panel with the task selected.
  command('fox.openTaskInProfiler', async (taskId) => {
    await profilerHost.ensure();
    if (typeof taskId === 'string') panel.revealTask(taskId);
    else panel.show();
  });
  command('fox.approveProposal', (p) => decide(p as ProposalItem | string | undefined, 'approve'));
  command('fox.rejectProposal', (p) => decide(p as ProposalItem | string | undefined, 'reject'));
  command('fox.restartLanguageServer', async () => {
    await client?.restart();
  });

  context.subscriptions.push(
    vscode.tasks.registerTaskProvider(
      FOX_TASK_TYPE,
      new FoxTaskProvider(
        async () => {
          const profiler = await profilerHost.ensure();
          render(profiler.state());
          return profiler.url;
        },
        (m) => log.warn(m),
      ),
    ),
    vscode.window.registerTreeDataProvider(APPROVALS_VIEW_ID, tree),
    { dispose: () => void profilerHost.stop() },
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('fox.languageServer.enabled')) {
        void vscode.window.showInformationMessage('Fox: reload the window to apply the change.');
      }
    }),
  );

  // ---- language client
  if (setting('languageServer.enabled', true)) {
    const runtime = setting<string>('languageServer.runtime', '') || undefined;
    client = createLanguageClient(context, runtime);
    context.subscriptions.push(
      watchServerState(client, (state) => log.info(`language server: ${state}`)),
    );
    log.info(`language server: runs on ${runtime ?? "VS Code's own Node runtime"}`);
    // The server reads the workspace's `.fox/fox.db` (whoever wrote it: the profiler or the
    // program's own store) for past runs; live numbers come from the profiler in any case.
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const stored = folder ? join(folder, '.fox', 'fox.db') : undefined;
    log.info(
      stored && existsSync(stored)
        ? `language server: numbers of past runs from ${stored}; live numbers from the profiler while a profiled process runs`
        : `language server: no store to read past runs from (${stored ? `${stored} does not exist yet` : 'no workspace folder'}); numbers come live from the profiler while a profiled process runs`,
    );
    client.start().catch((err: unknown) => {
      log.error(`language server failed to start: ${String(err)}`);
    });
  } else {
    log.info('language server: off (fox.languageServer.enabled is false)');
  }

  function profilerStore(): StoreChoice {
    return storeChoice(
      vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      setting<string>('profiler.storePath', '.fox/fox.db'),
    );
  }

  function profilerOptions(): ProfilerOptions {
    return {
      onError: (err) => log.error(`profiler: ${err instanceof Error ? err.message : String(err)}`),
    };
  }
}

/** A file's text, or undefined when it cannot be read. */
async function readText(uri: vscode.Uri): Promise<string | undefined> {
  try {
    return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  } catch {
    return undefined;
  }
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  const h = host;
  host = undefined;
  await Promise.allSettled([c?.stop(), h?.stop()]);
}
