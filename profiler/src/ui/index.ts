/**
 * The live UI for hosts that bundle it themselves (the VS Code webview): mount it with a
 * message channel in and out. Styles are in `fox-ui.css` next to this file.
 *
 * @example
 * const vscode = acquireVsCodeApi();
 * createFoxUi(document.getElementById('root')!, {
 *   post: (m) => vscode.postMessage(m),
 *   onMessage: (cb) => window.addEventListener('message', (e) => cb(e.data)),
 * });
 */
export { createFoxUi } from './app.js';
export type { FoxUi, FoxUiOptions } from './app.js';
export type * from '../live/view.js';
