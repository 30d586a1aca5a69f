import { mkdirSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FoxAnalyzer } from '../analysis/project.js';
import { isAnalysisConfigError } from '../analysis/config.js';
import { isProjectLoadError } from '../analysis/project-load-error.js';
import { toJsonReport, toSarif, toText } from './report-formats.js';

const VERSION = '0.1.0';

/** Where the CLI writes; injectable for tests. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Progress goes to stderr only when it is a terminal. */
  isTTY: boolean;
  columns?: number;
}

const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: process.stderr.isTTY === true,
  ...(process.stderr.columns ? { columns: process.stderr.columns } : {}),
};

export const ANALYZE_USAGE = `Usage: fox analyze [dir] [options]

Classifies every function (cpu | io | light | mixed) and runs the Fox rules FOX001–FOX009.

Options:
  --format text|json|sarif   output format (default: text)
  --output <file>            write the report to a file instead of stdout
  --write                    also write <project>/.fox/analysis.json (read by the runtime's auto mode)
  --fail-on error|warning|none
                             exit 1 when a finding of this severity or worse exists (default: error;
                             hints, findings under the config's minConfidence, never fail)
  --tsconfig <file>          tsconfig to use (default: <dir>/tsconfig.json when present)
  --functions                text format: also list every function's classification
  --no-progress              never draw the progress bar
  -h, --help                 show this help
`;

const FLAGS = {
  format: { type: 'string', default: 'text' },
  output: { type: 'string' },
  write: { type: 'boolean', default: false },
  'fail-on': { type: 'string', default: 'error' },
  tsconfig: { type: 'string' },
  functions: { type: 'boolean', default: false },
  'no-progress': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/**
 * `fox analyze` — returns the exit code: 0 clean, 1 when a finding at or above `--fail-on`
 * exists, 2 for bad arguments, a bad config, a missing tsconfig or nothing to analyse. The root
 * `fox` command dispatches here.
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let parsed;
  try {
    // Strict: a misspelled flag is an error, never ignored.
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: FLAGS });
  } catch (e) {
    io.stderr(`fox analyze: ${usageMessage(e, argv)}\n\n${ANALYZE_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(ANALYZE_USAGE);
    return 0;
  }
  const format = values.format;
  const failOn = values['fail-on'];
  if (format !== 'text' && format !== 'json' && format !== 'sarif') {
    io.stderr(`fox analyze: --format must be text, json or sarif (got '${format}')\n`);
    return 2;
  }
  if (failOn !== 'error' && failOn !== 'warning' && failOn !== 'none') {
    io.stderr(`fox analyze: --fail-on must be error, warning or none (got '${failOn}')\n`);
    return 2;
  }
  if (positionals.length > 1) {
    io.stderr(`fox analyze: expected at most one folder, got ${positionals.length}\n`);
    return 2;
  }
  const dir = resolve(positionals[0] ?? '.');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    io.stderr(`fox analyze: ${dir} is not a folder\n`);
    return 2;
  }
  const progress = io.isTTY && !values['no-progress'] ? progressBar(io) : undefined;
  let result;
  let analyzer: FoxAnalyzer;
  try {
    analyzer = FoxAnalyzer.fromDirectory(dir, values.tsconfig ? { tsconfig: values.tsconfig } : {});
    if (analyzer.sourceFiles().length === 0) {
      // Exit 0 on nothing analysed would read as "clean" in CI.
      io.stderr(`fox analyze: ${nothingToAnalyse(analyzer, dir)}\n`);
      return 2;
    }
    result = analyzer.analyzeAll(progress ? { onProgress: progress.update } : {});
  } catch (e) {
    progress?.done();
    if (isAnalysisConfigError(e) || isProjectLoadError(e)) {
      io.stderr(`fox analyze: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  progress?.done();
  const out =
    format === 'json'
      ? JSON.stringify(toJsonReport(result, dir), null, 2) + '\n'
      : format === 'sarif'
        ? JSON.stringify(toSarif(result, dir, VERSION), null, 2) + '\n'
        : toText(result, dir, values.functions, analyzer.origin);
  if (values.output) {
    mkdirSync(dirname(resolve(values.output)), { recursive: true });
    writeFileSync(resolve(values.output), out);
  } else io.stdout(out);
  if (values.write) {
    // The runtime resolves task ids against the project root, so the hint file lives there.
    const root = analyzer.rootOf(join(dir, 'x.ts'));
    const target = join(root, '.fox', 'analysis.json');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, JSON.stringify(toJsonReport(result, root), null, 2) + '\n');
    if (format === 'text') io.stderr(`wrote ${target}\n`);
  }
  const failing = result.findings.some((f) =>
    // Hints (findings under the confidence bar) never fail a run.
    failOn === 'none'
      ? false
      : failOn === 'warning'
        ? f.severity !== 'hint'
        : f.severity === 'error',
  );
  return failing ? 1 : 0;
}

function nothingToAnalyse(analyzer: FoxAnalyzer, dir: string): string {
  const { tsconfig } = analyzer.origin;
  return tsconfig
    ? `${tsconfig} (with its references) yields no TypeScript files to analyse; check its "files", "include" and "references"`
    : `no TypeScript files under ${dir} (node_modules, dist and .gitignore'd folders are skipped)`;
}

/**
 * What was wrong with the command line. Node's message for an unknown flag suggests passing it
 * after `--` as a folder name; name the flag instead (a loose parse tokenises like the strict
 * one, so its first unknown option is the one refused).
 */
function usageMessage(e: unknown, argv: readonly string[]): string {
  if ((e as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const { tokens } = parseArgs({ args: [...argv], options: FLAGS, strict: false, tokens: true });
    const unknown = tokens.find((t) => t.kind === 'option' && !Object.hasOwn(FLAGS, t.name));
    if (unknown?.kind === 'option') return `unknown flag ${unknown.rawName}`;
  }
  return (e as Error).message;
}

/** A one-line progress bar redrawn in place on a terminal. */
function progressBar(io: CliIo): {
  update: (done: number, total: number, file: string) => void;
  done: () => void;
} {
  let last = 0;
  let drawn = false;
  return {
    update(done, total, file) {
      const now = Date.now();
      if (done !== total && now - last < 50) return;
      last = now;
      const width = 30;
      const filled = Math.round((done / Math.max(1, total)) * width);
      const tail = file.length > 40 ? `…${file.slice(-39)}` : file;
      const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${tail}`;
      io.stderr(`\r${line.slice(0, (io.columns ?? 100) - 1)}\u001b[K`);
      drawn = true;
    },
    done() {
      if (drawn) io.stderr('\r\u001b[K');
    },
  };
}
