import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';

/**
 * One timed measurement in a fresh process, so its peak RSS is its own:
 * `measure-child.ts <mode> <job.json>` prints `{ cpuMs, wallMs, maxRssMb, heapMb }`.
 *
 * - `fox-syntax` / `fox-all`: FoxAnalyzer.fromDirectory + analyzeAll({ phase });
 * - `ts-syntax`: ts.createProgram over the files + getSyntacticDiagnostics of each (tsc's parse
 *   and module resolution, no binding or checking);
 * - `ts-check`: the same program + getSemanticDiagnostics (what `tsc --noEmit` reports).
 *
 * Each mode loads only its own modules (the analyser, or typescript), before the clock starts:
 * the work is timed, not the module loading; the peak RSS includes the modules.
 */

interface Job {
  analyzeDir: string;
  files: string[];
  typeRoots: string[];
}

const [mode, jobPath] = process.argv.slice(2);
const job = JSON.parse(readFileSync(jobPath!, 'utf8')) as Job;
const fox = mode === 'fox-syntax' || mode === 'fox-all';
if (!fox && mode !== 'ts-syntax' && mode !== 'ts-check') throw new Error(`unknown mode ${mode}`);
const analyser = fox ? await import('../../../language-server/src/analysis/project.js') : undefined;
const typescript = fox ? undefined : (await import('typescript')).default;
const tsc = fox ? undefined : await import('./tsc.js');

const cpu0 = process.cpuUsage();
const wall0 = performance.now();
let count = 0;
if (analyser) {
  const r = analyser.FoxAnalyzer.fromDirectory(job.analyzeDir).analyzeAll({
    phase: mode === 'fox-all' ? 'all' : 'syntax',
  });
  count = r.findings.length;
} else {
  const program = typescript!.createProgram(job.files, tsc!.checkerOptions(job.typeRoots));
  for (const sf of program.getSourceFiles()) {
    count += program.getSyntacticDiagnostics(sf).length;
    if (mode === 'ts-check') count += program.getSemanticDiagnostics(sf).length;
  }
}
const cpu = process.cpuUsage(cpu0);
const result = {
  mode,
  count,
  cpuMs: (cpu.user + cpu.system) / 1000,
  wallMs: performance.now() - wall0,
  maxRssMb: process.resourceUsage().maxRSS / 1024,
  heapMb: getHeapStatistics().used_heap_size / 2 ** 20,
};
process.stdout.write(JSON.stringify(result));
