// Entry point: `node --import tsx language-server/src/cli/fox-analyze.ts [dir] [options]`
// (the built equivalent is `bin/fox-analyze.js`).
import { main } from './analyze.js';

void main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(
      `fox analyze: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exitCode = 2;
  },
);
