import { spawn, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs the real VS Code that code-server ships (VS Code 1.100) with the Fox extension installed
 * the way VS Code installs a .vsix: its folder copied into `--extensions-dir` as
 * `publisher.name-version`. Everything lives in a temporary directory outside the repo.
 */

export const CODE_SERVER_DIR =
  process.env['FOX_CODE_SERVER_DIR'] ?? join(homedir(), '.cache', 'fox-code-server');
export const CODE_SERVER_BIN = join(CODE_SERVER_DIR, 'node_modules', '.bin', 'code-server');

export interface CodeServer {
  url: string;
  workspace: string;
  root: string;
  log: () => string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export async function startCodeServer(options: {
  repoRoot: string;
  settings: Record<string, unknown>;
}): Promise<CodeServer> {
  const { repoRoot } = options;
  const root = mkdtempSync(join(tmpdir(), 'fox-e2e-'));
  const userData = join(root, 'user-data');
  const extensions = join(root, 'extensions');
  const workspace = join(root, 'workspace');

  // The extension, as a .vsix would lay it out.
  const ext = JSON.parse(
    (await import('node:fs')).readFileSync(join(repoRoot, 'extension/package.json'), 'utf8'),
  ) as { publisher: string; name: string; version: string };
  const extDir = join(extensions, `${ext.publisher}.${ext.name}-${ext.version}`);
  for (const part of [
    'package.json',
    'media',
    'dist/extension.cjs',
    'dist/server.cjs',
    'dist/ui',
  ]) {
    cpSync(join(repoRoot, 'extension', part), join(extDir, part), { recursive: true });
  }

  // The sample workspace, with @fox/sdk linked to the repo's built sdk.
  cpSync(join(repoRoot, 'samples/vscode-workspace'), workspace, { recursive: true });
  mkdirSync(join(workspace, 'node_modules', '@fox'), { recursive: true });
  symlinkSync(join(repoRoot, 'sdk'), join(workspace, 'node_modules', '@fox', 'sdk'), 'dir');
  mkdirSync(join(workspace, 'node_modules', '@types'), { recursive: true });
  const nodeTypes = join(repoRoot, 'node_modules', '@types', 'node');
  symlinkSync(nodeTypes, join(workspace, 'node_modules', '@types', 'node'), 'dir');
  // The TypeScript program (src/feed.ts) runs with `node --import tsx`, as a project would.
  symlinkSync(join(repoRoot, 'node_modules', 'tsx'), join(workspace, 'node_modules', 'tsx'), 'dir');

  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify(options.settings, null, 2));

  const port = await freePort();
  let output = '';
  const child: ChildProcess = spawn(
    CODE_SERVER_BIN,
    [
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--user-data-dir',
      userData,
      '--extensions-dir',
      extensions,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      workspace,
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } },
  );
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));

  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited early:\n${output}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error(`code-server did not start in 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }

  return {
    url: `${url}/?folder=${encodeURIComponent(workspace)}`,
    workspace,
    root,
    log: () => output,
    async stop() {
      if (child.exitCode === null && child.pid !== undefined) {
        const exited = new Promise((r) => child.once('exit', r));
        try {
          process.kill(-child.pid, 'SIGTERM'); // its process group: the server and its children
        } catch {
          // already gone
        }
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export function codeServerInstalled(): boolean {
  return existsSync(CODE_SERVER_BIN);
}
