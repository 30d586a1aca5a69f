// `npm start`: the demo under `fox profile`, with the page's approver name set to the user
// running it (or $FOX_APPROVER), the one approver the demo's guardian names.
import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';

function userName() {
  try {
    return userInfo().username || 'demo-user';
  } catch {
    return 'demo-user';
  }
}

const approver = process.env.FOX_APPROVER || userName();
const child = spawn(
  'fox',
  ['profile', '--approver', approver, '--', 'node', '--enable-source-maps', 'dist/main.js'],
  {
    stdio: 'inherit',
    env: { ...process.env, FOX_APPROVER: approver },
    shell: process.platform === 'win32',
  },
);
// Ctrl-C reaches the whole process group: fox profile and the demo stop by themselves, and
// this launcher waits for them so the demo's summary is the last thing printed.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
