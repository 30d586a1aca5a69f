import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ts } from 'ts-morph';
import {
  bindingNameAt,
  enclosingClassAt,
  projectRootOf,
  relativeSourcePath,
} from '../../../sdk/src/task/task-id.js';
import { FoxAnalyzer } from '../../src/index.js';

const SOURCE = `import { fox } from '@fox/sdk';
import { fox as f } from '@fox/sdk';

export const resize = fox({ mode: 'tfox' }, async function resize(img: Uint8Array) {
  return img;
});
const local = fox({ mode: 'sfox' }, (s: string) => s.trim());
export default fox({ mode: 'wfox' }, async function handler() {
  return 1;
});
export const explicit = fox({ mode: 'wfox', id: 'orders#place' }, async () => 2);
function named(x: number) {
  return x * 2;
}
export const viaName = fox({ mode: 'sfox' }, named);
export const aliased = f({ mode: 'sfox' }, async function aliasedFn() {});

export class OrderService {
  @fox({ mode: 'wfox' })
  async place(o: { id: string }) {
    return o.id;
  }
  @fox({ mode: 'sfox' })
  static describe() {
    return 'orders';
  }
  cancel(id: string) {
    return id;
  }
}

export function plain() {
  return local('x');
}
export const arrow = async (n: number) => n + 1;
`;

const EXPECTED = [
  'src/lib/orders.ts#resize',
  'src/lib/orders.ts#local',
  'src/lib/orders.ts#default',
  'orders#place',
  'src/lib/orders.ts#viaName',
  'src/lib/orders.ts#aliased',
  'src/lib/orders.ts#OrderService.place',
  'src/lib/orders.ts#OrderService.describe',
  'src/lib/orders.ts#OrderService.cancel',
  'src/lib/orders.ts#plain',
  'src/lib/orders.ts#arrow',
];

describe('task ids', () => {
  it('computes the id of every task form and the id-to-be of plain functions', () => {
    const path = '/proj/src/lib/orders.ts';
    const analyzer = FoxAnalyzer.inMemory({ '/proj/package.json': '{}', [path]: SOURCE });
    const ids = analyzer.analyzeFile(path, { phase: 'syntax' }).functions.map((fn) => fn.id);
    assert.deepEqual([...ids].sort(), [...EXPECTED].sort());
  });

  it('uses the nearest package.json as the project root (nested packages)', () => {
    const analyzer = FoxAnalyzer.inMemory({
      '/mono/package.json': '{}',
      '/mono/packages/api/package.json': '{}',
      '/mono/packages/api/src/a.ts': 'export function a() { return 1; }',
      '/mono/tools/b.ts': 'export function b() { return 1; }',
    });
    const ids = analyzer.analyzeAll({ phase: 'syntax' }).functions.map((fn) => fn.id);
    assert.deepEqual(ids.sort(), ['src/a.ts#a', 'tools/b.ts#b']);
  });

  it('computes the same ids as the sdk does at run time, from the same source', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fox-ids-'));
    try {
      mkdirSync(join(dir, 'src', 'lib'), { recursive: true });
      writeFileSync(join(dir, 'package.json'), '{}');
      const file = join(dir, 'src', 'lib', 'orders.ts');
      writeFileSync(file, SOURCE);
      const analyzer = FoxAnalyzer.fromDirectory(dir);
      const tasks = analyzer
        .analyzeFile(file, { phase: 'syntax' })
        .functions.filter((fn) => fn.task);
      // The sdk's view: the call site of each fox(...) call / @fox(...) decorator.
      const sf = ts.createSourceFile(file, SOURCE, ts.ScriptTarget.ES2022, true);
      const sdkIds: string[] = [];
      const prefix = `${relativeSourcePath(file, projectRootOf(file))}#`;
      const visit = (node: ts.Node): void => {
        if (
          ts.isCallExpression(node) &&
          ts.isIdentifier(node.expression) &&
          /^(fox|f)$/.test(node.expression.text)
        ) {
          const opts = node.arguments[0];
          const idProp =
            opts && ts.isObjectLiteralExpression(opts)
              ? opts.properties.find((p) => p.name?.getText(sf) === 'id')
              : undefined;
          if (idProp && ts.isPropertyAssignment(idProp) && ts.isStringLiteral(idProp.initializer)) {
            sdkIds.push(idProp.initializer.text);
          } else if (ts.isDecorator(node.parent)) {
            const method = node.parent.parent as ts.MethodDeclaration;
            sdkIds.push(
              `${prefix}${enclosingClassAt(SOURCE, node.getStart(sf))}.${method.name.getText(sf)}`,
            );
          } else {
            const fn = node.arguments[1];
            const own = fn && ts.isFunctionExpression(fn) ? fn.name?.text : undefined;
            sdkIds.push(prefix + (bindingNameAt(SOURCE, node.getStart(sf)) ?? own));
          }
        }
        ts.forEachChild(node, visit);
      };
      visit(sf);
      assert.deepEqual(tasks.map((t) => t.id).sort(), sdkIds.sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
