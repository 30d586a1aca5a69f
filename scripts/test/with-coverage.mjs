// `npm test`: mocha (with .mocharc.cjs) under c8, which prints a coverage summary when mocha
// exits. The summary reporter's `N passed, N failed, N skipped` line must stay the last line of
// the output (people and scripts read the last line), so it is held back while mocha runs and
// printed after the coverage summary. The exit code is mocha's.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const c8 = require.resolve('c8/bin/c8.js');
const mocha = require.resolve('mocha/bin/mocha.js');
const TOTALS = /^\d+ passed, \d+ failed, \d+ skipped$/;

const color = process.stdout.isTTY ? ['--color'] : [];
const child = spawn(
  process.execPath,
  [c8, process.execPath, mocha, ...color, ...process.argv.slice(2)],
  {
    stdio: ['inherit', 'pipe', 'inherit'],
  },
);

let totals;
let partial = '';
const pass = (line) => {
  if (TOTALS.test(line)) totals = line;
  else process.stdout.write(`${line}\n`);
};
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk) => {
  const lines = (partial + chunk).split('\n');
  partial = lines.pop() ?? '';
  lines.forEach(pass);
});
child.on('close', (code, signal) => {
  if (partial) pass(partial);
  if (totals) process.stdout.write(`\n${totals}\n`);
  process.exitCode = code ?? (signal ? 1 : 0);
});
