import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { ProfilerHost } from '../profiler/profiler-host.js';
import { PanelBridge, type PanelActions, type TaskSelection } from './panel-bridge.js';
import { makeNonce, webviewHtml } from './webview-html.js';

export const PANEL_VIEW_TYPE = 'fox.profiler';

/**
 * The profiler panel: one webview running the profiler's UI bundle. Live state is pushed only
 * while the panel is visible; the serializer brings it back after a reload.
 */
export class ProfilerPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private bridge: PanelBridge | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly host: ProfilerHost,
    private readonly onSelect: (selection: TaskSelection) => void,
    private readonly actions: PanelActions = {},
  ) {
    this.disposables.push(
      vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel) => {
          this.attach(panel);
          void this.host.ensure().catch(() => undefined);
        },
      }),
    );
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  show(preserveFocus = false): void {
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      'Fox Profiler',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      this.webviewOptions(),
    );
    this.attach(panel);
  }

  /** Shows the panel with a task selected (its timeline, its row highlighted). */
  revealTask(taskId: string): void {
    this.show();
    this.bridge?.reveal(taskId);
  }

  private webviewOptions(): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist', 'ui')],
    };
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    const webview = panel.webview;
    webview.options = this.webviewOptions();
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'fox.svg');
    const ui = vscode.Uri.joinPath(this.extensionUri, 'dist', 'ui');
    webview.html = webviewHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(ui, 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(ui, 'webview.css')).toString(),
      nonce: makeNonce((n) => randomBytes(n)),
    });
    const bridge = new PanelBridge((m) => void webview.postMessage(m), this.onSelect, this.actions);
    this.bridge = bridge;
    const subs: vscode.Disposable[] = [
      webview.onDidReceiveMessage((m: unknown) => void bridge.receive(m, this.host.profiler)),
      this.host.onTick(() => {
        const profiler = this.host.profiler;
        if (panel.visible && profiler) bridge.push(profiler);
      }),
      panel.onDidChangeViewState(() => {
        if (panel.visible && this.host.profiler) bridge.push(this.host.profiler);
      }),
    ];
    panel.onDidDispose(() => {
      subs.forEach((d) => d.dispose());
      if (this.panel === panel) {
        this.panel = undefined;
        this.bridge = undefined;
      }
    });
  }

  dispose(): void {
    this.panel?.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}
