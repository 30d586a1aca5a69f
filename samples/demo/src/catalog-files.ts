import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fox } from '@fox/sdk';

/** Catalog pages on disk: one small JSON file per product, read in fan-outs on an I/O lane. */
export const CATALOG_PAGES = 64;

let dir: string | undefined;

/** Writes the catalog pages under `root` (once per run). */
export function writeCatalog(root: string): void {
  mkdirSync(root, { recursive: true });
  for (let i = 0; i < CATALOG_PAGES; i++) {
    const sku = skuOf(i);
    writeFileSync(
      join(root, `${sku}.json`),
      JSON.stringify({ sku, title: `Product ${i}`, blurb: 'x'.repeat(2_000 + i * 10) }),
    );
  }
  dir = root;
}

export function skuOf(i: number): string {
  return `SKU-${String(i % CATALOG_PAGES).padStart(4, '0')}`;
}

/**
 * A page of search results: reads `count` catalog files at once. Mostly waiting on the disk,
 * so it runs on the `catalog` I/O lane (mfox), which bounds how many such fan-outs run at once.
 */
export const readCatalogPages = fox(
  { mode: 'mfox', lane: 'catalog' },
  async function readCatalogPages(first: number, count: number) {
    if (!dir) throw new Error('catalog not written yet');
    const root = dir;
    const paths = Array.from({ length: count }, (_, i) => join(root, `${skuOf(first + i)}.json`));
    const pages = await fox.io.readFiles(paths, { batch: 4 });
    return pages.reduce((n, b) => n + b.length, 0);
  },
);
