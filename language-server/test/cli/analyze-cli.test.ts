import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeMain, type CliIo } from '../../src/index.js';

function capture(isTTY = false): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    isTTY,
    stdout(t: string) {
      io.out += t;
    },
    stderr(t: string) {
      io.err += t;
    },
  };
  return io;
}

describe('fox analyze', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fox-analyze-'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'package.json'), '{ "name": "demo", "type": "module" }');
    writeFileSync(
      join(dir, 'src', 'work.ts'),
      `import { fox } from '@fox/sdk';
export function histogram(values: number[], buckets: number): number[] {
  const out = new Array<number>(buckets).fill(0);
  for (const v of values) out[Math.min(buckets - 1, Math.floor(v * buckets))]! += 1 * 1;
  return out;
}
let calls = 0;
export const hash = fox({ mode: 'tfox' }, function hash(s: string) {
  calls++;
  return s.length;
});
export async function ping(url: string) {
  return fetch(url);
}
`,
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints text findings and exits 1 when an error-severity finding exists', async () => {
    const io = capture();
    const code = await analyzeMain([dir], io);
    assert.equal(code, 1);
    assert.match(io.out, /src\/work\.ts:9:3 {2}error {4}FOX006/);
    assert.match(io.out, /src\/work\.ts:13:10 {2}warning {2}FOX002/);
    assert.match(
      io.out,
      /1 files, 3 functions \(cpu 1, io 1, mixed 0, light 1\); 1 errors, 1 warnings, 1 hints/,
    );
    // One loop's arithmetic just over the CPU threshold: a possible finding, so a hint.
    assert.match(io.out, /src\/work\.ts:2:17 {2}hint {5}FOX001 .* \[possible\]\n/);
    assert.equal(io.err, '', 'no progress bar when stderr is not a terminal');
  });

  it('--fail-on none exits 0; --fail-on warning exits 1 on warnings only', async () => {
    assert.equal(await analyzeMain([dir, '--fail-on', 'none'], capture()), 0);
    writeFileSync(join(dir, 'fox.config.json'), '{ "rules": { "FOX006": "off" } }');
    try {
      assert.equal(await analyzeMain([dir], capture()), 0);
      assert.equal(await analyzeMain([dir, '--fail-on', 'warning'], capture()), 1);
    } finally {
      rmSync(join(dir, 'fox.config.json'));
    }
  });

  it('emits the JSON report with functions and findings, and writes .fox/analysis.json', async () => {
    const io = capture();
    await analyzeMain([dir, '--format', 'json', '--write'], io);
    const report = JSON.parse(io.out) as {
      functions: {
        id: string;
        file: string;
        line: number;
        kind: string;
        recommendedMode: string;
        evidence: unknown[];
      }[];
      findings: {
        rule: string;
        severity: string;
        confidence: string;
        file: string;
        line: number;
        column: number;
        message: string;
      }[];
    };
    const histogram = report.functions.find((f) => f.id === 'src/work.ts#histogram');
    assert.deepEqual(
      {
        file: histogram?.file,
        line: histogram?.line,
        kind: histogram?.kind,
        mode: histogram?.recommendedMode,
      },
      { file: 'src/work.ts', line: 2, kind: 'cpu', mode: 'tfox' },
    );
    assert.ok(histogram && histogram.evidence.length > 0);
    const f = report.findings.find((x) => x.rule === 'FOX006');
    const at = f && { file: f.file, line: f.line, column: f.column };
    assert.deepEqual(f && { severity: f.severity, confidence: f.confidence, ...at }, {
      severity: 'error',
      confidence: 'certain',
      file: 'src/work.ts',
      line: 9,
      column: 3,
    });
    // Findings under the bar are still in the JSON, as hints that carry their confidence.
    const cpu = report.findings.find((x) => x.rule === 'FOX001');
    assert.deepEqual(cpu && [cpu.severity, cpu.confidence], ['hint', 'possible']);
    const written = JSON.parse(
      readFileSync(join(dir, '.fox', 'analysis.json'), 'utf8'),
    ) as typeof report;
    assert.deepEqual(
      written.functions.map((x) => x.id),
      report.functions.map((x) => x.id),
    );
  });

  it('emits valid SARIF 2.1.0 with rules, levels and relative locations', async () => {
    const io = capture();
    await analyzeMain([dir, '--format', 'sarif'], io);
    const sarif = JSON.parse(io.out) as {
      $schema: string;
      version: string;
      runs: {
        tool: {
          driver: { name: string; rules: { id: string; shortDescription: { text: string } }[] };
        };
        results: {
          ruleId: string;
          ruleIndex: number;
          level: string;
          message: { text: string };
          locations: {
            physicalLocation: {
              artifactLocation: { uri: string };
              region: { startLine: number; startColumn: number };
            };
          }[];
        }[];
      }[];
    };
    assert.match(sarif.$schema, /sarif-2\.1\.0/);
    assert.equal(sarif.version, '2.1.0');
    const run = sarif.runs[0]!;
    assert.deepEqual(
      run.tool.driver.rules.map((r) => r.id),
      ['FOX001', 'FOX002', 'FOX003', 'FOX004', 'FOX005', 'FOX006', 'FOX007', 'FOX008', 'FOX009'],
    );
    assert.ok(run.results.length >= 3);
    for (const r of run.results) {
      assert.equal(run.tool.driver.rules[r.ruleIndex]?.id, r.ruleId);
      assert.ok(['error', 'warning', 'note'].includes(r.level));
      const loc = r.locations[0]!.physicalLocation;
      assert.equal(loc.artifactLocation.uri, 'src/work.ts');
      assert.ok(loc.region.startLine >= 1 && loc.region.startColumn >= 1);
    }
    // A hint (the possible FOX001) is a note: code scanning shows it without gating on it.
    assert.equal(run.results.find((r) => r.ruleId === 'FOX001')?.level, 'note');
    assert.equal(run.results.find((r) => r.ruleId === 'FOX002')?.level, 'warning');
  });

  it('draws a progress bar on a terminal only', async () => {
    const io = capture(true);
    await analyzeMain([dir], io);
    assert.match(io.err, /\[#+\] 1\/1 src\/work\.ts/);
  });

  it('reports a bad config clearly with exit code 2', async () => {
    writeFileSync(join(dir, 'fox.config.json'), '{ "rules": { "FOX001": "sometimes" } }');
    try {
      const io = capture();
      assert.equal(await analyzeMain([dir], io), 2);
      assert.match(io.err, /Invalid Fox analysis config in .*fox\.config\.json/);
      assert.match(io.err, /rules\.FOX001/);
    } finally {
      rmSync(join(dir, 'fox.config.json'));
    }
  });

  it('rejects bad arguments with usage and exit code 2', async () => {
    const io = capture();
    assert.equal(await analyzeMain([dir, '--format', 'xml'], io), 2);
    assert.match(io.err, /--format must be text, json or sarif/);
    assert.equal(await analyzeMain(['--bogus'], capture()), 2);
  });

  it('refuses a misspelled flag with exit 2, naming it, and analyses nothing', async () => {
    for (const flag of ['--fromat', '--fail-no', '-x']) {
      const io = capture();
      assert.equal(await analyzeMain([dir, flag, 'json'], io), 2);
      assert.match(io.err, new RegExp(`^fox analyze: unknown flag ${flag}\n`));
      assert.match(io.err, /Usage: fox analyze/);
      assert.equal(io.out, '');
    }
  });
});
