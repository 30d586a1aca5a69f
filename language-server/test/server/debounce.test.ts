import { strict as assert } from 'node:assert';
import { FoxAnalyzer } from '../../src/index.js';
import { DocumentAnalysis } from '../../src/server/document-analysis.js';

const URI = 'file:///proj/src/t.ts';
const task = (n: number): string => `import { fox } from '@fox/sdk';
export const t = fox({ mode: 'tfox' }, async function t(cb: () => void) {
  cb();
  return ${n};
});
`;

describe('document analysis scheduling', () => {
  it('debounces type-aware runs: rapid changes cancel the pending run, only the last version is analysed', async () => {
    const ready: number[] = [];

    const docs: DocumentAnalysis = new DocumentAnalysis(
      FoxAnalyzer.inMemory({ '/proj/package.json': '{}' }),
      {
        debounceMs: 30,
        onTypesReady: (uri) => ready.push(docs.version(uri)!),
        onError: (m) => assert.fail(m),
      },
    );
    docs.open(URI, 1, task(1));
    docs.change(URI, 2, task(2));
    docs.change(URI, 3, task(3));
    // Syntax results are available at once, for the current text.
    assert.equal(docs.syntax(URI)?.functions[0]?.id, 'src/t.ts#t');
    assert.equal(docs.types(URI), undefined);
    await docs.settled(URI);
    assert.deepEqual(ready, [3]);
    assert.deepEqual(
      docs.types(URI)?.findings.map((f) => f.rule),
      ['FOX006'],
    );
    // A change makes the type-aware result stale until the next run.
    docs.change(URI, 4, task(4));
    assert.equal(docs.types(URI), undefined);
    docs.close(URI);
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual(ready, [3], 'closing cancels the pending run');
    docs.dispose();
  });
});
