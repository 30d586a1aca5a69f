/**
 * The profiler panel's HTML. The page loads exactly two files (the UI bundle and its styles)
 * from the extension's `dist/ui` folder; the CSP allows nothing else: one nonce'd script, styles
 * from the webview's own origin, no inline styles, no network (data arrives by `postMessage`).
 */
export interface WebviewPageInput {
  /** `webview.cspSource`. */
  cspSource: string;
  /** `webview.asWebviewUri(...)` of `dist/ui/webview.js` and `dist/ui/webview.css`. */
  scriptUri: string;
  styleUri: string;
  nonce: string;
}

export function contentSecurityPolicy({ cspSource, nonce }: WebviewPageInput): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

export function webviewHtml(input: WebviewPageInput): string {
  const attr = (s: string): string =>
    s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(input))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fox profiler</title>
<link rel="stylesheet" href="${attr(input.styleUri)}">
</head>
<body>
<div id="fox-root"></div>
<script nonce="${attr(input.nonce)}" src="${attr(input.scriptUri)}"></script>
</body>
</html>
`;
}

/** 32 characters from [A-Za-z0-9], from a cryptographic source. */
export function makeNonce(random: (size: number) => Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(random(32), (b) => alphabet[b % alphabet.length]).join('');
}
