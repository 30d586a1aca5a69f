import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes a synthetic TypeScript project of `files` modules for the analyser's speed benchmark:
 * realistic shapes (interfaces, classes, async I/O, CPU loops, fox tasks, cross-file imports),
 * about 60 lines per file, and a local `@fox/sdk` stand-in so `tsc` resolves every import.
 */
export function generateProject(dir: string, files = 1000): { dir: string; files: string[] } {
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    '{ "name": "fox-bench-generated", "private": true, "type": "module" }\n',
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          module: 'ESNext',
          moduleResolution: 'Bundler',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
          paths: { '@fox/sdk': ['./src/fox-sdk.ts'] },
        },
        include: ['src'],
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(dir, 'src', 'fox-sdk.ts'),
    `export interface FoxOptions { mode?: 'sfox' | 'wfox' | 'tfox' | 'mfox' | 'auto'; timeout?: number; retry?: number; breaker?: { consecutive: number } }
export function fox<A extends unknown[], R>(options: FoxOptions, fn: (...args: A) => R): (...args: A) => Promise<Awaited<R>> {
  void options;
  return async (...args: A) => await fn(...args);
}
`,
  );
  const written: string[] = [];
  for (let i = 0; i < files; i++) {
    const mod = `mod${i % 25}`;
    mkdirSync(join(dir, 'src', mod), { recursive: true });
    const prev = i === 0 ? undefined : `../mod${(i - 1) % 25}/file${i - 1}.js`;
    const path = join(dir, 'src', mod, `file${i}.ts`);
    writeFileSync(path, moduleSource(i, prev));
    written.push(path);
  }
  return { dir, files: written };
}

function moduleSource(i: number, prev: string | undefined): string {
  const mode = ['wfox', 'mfox', 'sfox', 'tfox'][i % 4];
  return `import { fox } from '@fox/sdk';
${prev ? `import { helper${i - 1}, type Item${i - 1} } from '${prev}';` : ''}

export interface Item${i} {
  id: string;
  value: number;
  tags: string[];
  nested: { at: Date; score: number }${prev ? `;\n  parent?: Item${i - 1}` : ''};
}

export function helper${i}(items: Item${i}[]): number {
  let total = 0;
  for (const item of items) total += item.value;
  return total / Math.max(1, items.length);
}

export function score${i}(matrix: number[][]): number {
  let acc = 0;
  for (let r = 0; r < matrix.length; r++) {
    for (let c = 0; c < (matrix[r]?.length ?? 0); c++) acc += (matrix[r]![c]! * (r + 1)) % 7;
  }
  return acc;
}

export async function load${i}(url: string): Promise<Item${i}[]> {
  const res = await fetch(url${i % 3 === 0 ? '' : ', { signal: AbortSignal.timeout(2000) }'});
  if (!res.ok) throw new Error(\`load ${i}: \${res.status}\`);
  return (await res.json()) as Item${i}[];
}

export const task${i} = fox({ mode: '${mode}', timeout: 1000 }, async function task${i}(id: string) {
  const items = await load${i}(\`https://svc.example.com/${i}/\${id}\`);
  return helper${i}(items)${prev ? ` + helper${i - 1}(items.map((x) => x.parent).filter((p): p is Item${i - 1} => p !== undefined))` : ''};
});

export class Service${i} {
  private readonly cache = new Map<string, Item${i}>();

  constructor(private readonly base: string) {}

  async get(id: string): Promise<Item${i} | undefined> {
    const hit = this.cache.get(id);
    if (hit) return hit;
    const [item] = await load${i}(\`\${this.base}/items/\${id}\`);
    if (item) this.cache.set(id, item);
    return item;
  }

  async getAll(ids: string[]): Promise<Array<Item${i} | undefined>> {
    return Promise.all(ids.map(async (id) => this.get(id)));
  }

  format(item: Item${i}): string {
    return \`\${item.id}: \${item.value.toFixed(2)} [\${item.tags.join(', ')}]\`;
  }
}
`;
}
