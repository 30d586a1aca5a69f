import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { POLICY_ORDER } from '../../src/policies/index.js';
import { POLICY_SCHEMAS, type PolicyKind } from '../../src/policies/options.js';
import { PATTERNS, findPattern, patternForOption } from '../../src/vault/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SDK_ENTRY = join(ROOT, 'sdk/src/index.ts');

/** The smallest valid option of each policy, to read the schema's defaults from. */
const MINIMAL: Record<PolicyKind, unknown> = {
  timeout: 1000,
  retry: {},
  breaker: { consecutive: 1 },
  bulkhead: { limit: 1 },
  fallback: 0,
  rateLimit: { perSecond: 1 },
  hedge: { after: 10 },
  cache: { ttl: 1 },
};

const BAD_EXAMPLE = 'bad-option-name';
let checked: Map<string, string[]> | undefined;

/**
 * Type-checks every example (plus one that must fail) in one program, against the sdk sources
 * with `@fox/sdk` mapped to sdk/src/index.ts. Returns the diagnostics per example id.
 */
function exampleDiagnostics(): Map<string, string[]> {
  if (checked) return checked;
  // Virtual files under sdk/ so NodeNext treats them as ESM (sdk/package.json is type: module).
  const dir = join(ROOT, 'sdk/.vault-examples');
  const sources = new Map<string, string>(PATTERNS.map((p) => [p.id, p.example]));
  sources.set(
    BAD_EXAMPLE,
    `import { fox } from '@fox/sdk';\nexport const f = fox({ retries: 3 }, async () => 1);\n`,
  );
  const files = new Map([...sources].map(([id, text]) => [join(dir, `${id}.ts`), text]));
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    customConditions: ['source'],
    strict: true,
    noUncheckedIndexedAccess: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [join(ROOT, 'node_modules/@types')],
    paths: { '@fox/sdk': [SDK_ENTRY] },
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError, create) => {
    const text = files.get(name);
    return text !== undefined
      ? ts.createSourceFile(name, text, lang, true)
      : getSourceFile(name, lang, onError, create);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => files.has(name) || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => files.get(name) ?? readFile(name);
  const program = ts.createProgram([...files.keys()], options, host);
  checked = new Map();
  for (const [id] of sources) {
    const sf = program.getSourceFile(join(dir, `${id}.ts`))!;
    const diags = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    checked.set(
      id,
      diags.map((d) => {
        const line = d.start !== undefined ? sf.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
        return `line ${line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      }),
    );
  }
  return checked;
}

describe('pattern vault', () => {
  it('has unique ids, valid cross-references, and covers every policy and strategy', () => {
    const ids = PATTERNS.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const p of PATTERNS) {
      for (const r of p.related) assert.ok(findPattern(r), `${p.id} relates to unknown ${r}`);
      assert.ok(p.problem.length > 20 && p.whenToUse.length > 0 && p.whenNotToUse.length > 0, p.id);
    }
    for (const kind of POLICY_ORDER) assert.ok(patternForOption(kind), `no pattern for ${kind}`);
    for (const mode of ['sfox', 'wfox', 'tfox', 'mfox']) assert.ok(findPattern(mode), mode);
  });

  it('parameter defaults are the ones the option schemas apply (safe defaults, not folklore)', () => {
    let checked = 0;
    for (const p of PATTERNS) {
      if (p.kind !== 'policy') continue;
      const kind = p.option as PolicyKind;
      const parsed = POLICY_SCHEMAS[kind].parse(MINIMAL[kind]) as Record<string, unknown>;
      for (const param of p.parameters) {
        if (param.default === undefined) continue;
        assert.deepEqual(parsed[param.name], param.default, `${p.id}.${param.name}`);
        checked++;
      }
      // Every key the schema fills by default is documented.
      for (const key of Object.keys(parsed)) {
        assert.ok(
          p.parameters.some((x) => x.name === key),
          `${p.id}: option key '${key}' is not documented`,
        );
      }
    }
    assert.ok(checked >= 10);
  });

  it('verification levels are backed by tests that exist (and properties where claimed)', () => {
    for (const p of PATTERNS) {
      if (p.verification.level === 'documented') continue;
      assert.ok(p.verification.evidence.length > 0, p.id);
      for (const file of p.verification.evidence) {
        assert.ok(existsSync(join(ROOT, file)), `${p.id}: missing ${file}`);
      }
      if (p.verification.level === 'property-tested') {
        const hasProperty = p.verification.evidence.some((f) =>
          readFileSync(join(ROOT, f), 'utf8').includes('fc.assert('),
        );
        assert.ok(hasProperty, `${p.id} claims property-tested without a property`);
      }
    }
  });

  it('every example type-checks against the sdk sources', function () {
    this.timeout(120_000);
    if (!existsSync(SDK_ENTRY)) this.skip();
    const problems: string[] = [];
    for (const p of PATTERNS) {
      for (const d of exampleDiagnostics().get(p.id) ?? []) problems.push(`${p.id}: ${d}`);
    }
    assert.deepEqual(problems, []);
  });

  it('the example check can fail: a wrong option name is reported', function () {
    this.timeout(120_000);
    if (!existsSync(SDK_ENTRY)) this.skip();
    const diags = exampleDiagnostics().get(BAD_EXAMPLE) ?? [];
    assert.ok(
      diags.some((d) => d.includes('retries')),
      diags.join('\n'),
    );
  });
});

describe('docs/patterns.md', () => {
  it('is what scripts/gen-patterns-doc.ts renders from the vault', async () => {
    const { renderPatternsDoc, PATTERNS_DOC } =
      await import('../../../scripts/gen-patterns-doc.js');
    assert.equal(
      readFileSync(PATTERNS_DOC, 'utf8'),
      renderPatternsDoc(),
      'run scripts/gen-patterns-doc.ts',
    );
  });
});
