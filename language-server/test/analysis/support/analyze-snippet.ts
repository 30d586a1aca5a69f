import { ts } from 'ts-morph';
import { FileContext } from '../../../src/analysis/file-context.js';
import { sequentialAwaits } from '../../../src/analysis/rules/concurrency-rules.js';
import type { RuleReport } from '../../../src/analysis/rules/rule.js';
import type { FileAnalysis } from '../../../src/analysis/types.js';
import { FoxAnalyzer } from '../../../src/index.js';

/** Where a snippet lives: `src/a.ts` of an ES module package at `/p`. */
const FILE = '/p/src/a.ts';

/** The analyser's whole result for `source` as the only file of a small in-memory project. */
export function analyzeSnippet(source: string): FileAnalysis {
  const analyzer = FoxAnalyzer.inMemory({
    '/p/package.json': '{ "name": "p", "type": "module" }',
    [FILE]: source,
  });
  return analyzer.analyzeFile(FILE);
}

/**
 * What FOX004 (sequential awaits) itself reports for `source`, before the analyser's
 * de-duplication: syntax only (no program, no units).
 */
export function fox004Reports(source: string): RuleReport[] {
  const sf = ts.createSourceFile(FILE, source, ts.ScriptTarget.ES2022, true);
  const out: RuleReport[] = [];
  sequentialAwaits.check({
    file: new FileContext(sf, FILE, 'src/a.ts'),
    units: [],
    unitNodes: new Set(),
    settings: { timeoutMs: 2000, laneLimit: 8 },
    report: (r) => out.push(r),
  });
  return out;
}
