import { pathToFileURL } from 'node:url';
/** A benchmark's result as printed and as written into docs/benchmarks.md. */
export interface BenchSection {
  title: string;
  /** The command that reproduces it. */
  command: string;
  description: string;
  /** A Markdown table. */
  table: string;
  /** One line per target: the ratio and PASS/FAIL. */
  verdicts: string[];
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Renders rows of equal keys as a Markdown table. */
export function table(rows: readonly Record<string, string>[]): string {
  if (rows.length === 0) return '';
  const headers = Object.keys(rows[0]!);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(headers),
    line(headers.map(() => '---')),
    ...rows.map((r) => line(headers.map((h) => r[h] ?? ''))),
  ].join('\n');
}

/**
 * Runs a bench file by itself (`node --import tsx --conditions=source scripts/bench/x.ts
 * [--quick]`): when `moduleUrl` is the entry point, prints the section `run` measures.
 */
export function runIfMain(moduleUrl: string, run: () => Promise<BenchSection>): void {
  if (moduleUrl !== pathToFileURL(process.argv[1] ?? '').href) return;
  run().then(
    (r) =>
      console.log(`## ${r.title}\n\n${r.description}\n\n${r.table}\n\n${r.verdicts.join('\n')}`),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
