import { fox } from '@fox/sdk';
import { z } from 'zod';

const LineSchema = z.string().regex(/^[A-Z]{3}-\d{4};\d+$/, 'expected SKU;quantity');

/** Light CPU work on the caller's loop: sfox. Input is checked before the function runs. */
export const parseLine = fox(
  { mode: 'sfox', input: LineSchema },
  async function parseLine(line: string) {
    const [sku, qty] = line.split(';');
    return { sku: sku!, qty: Number(qty) };
  },
);

/** A checksum over a small payload: still light enough for sfox. */
export const checksum = fox({ mode: 'sfox' }, async (data: string) => {
  let h = 2166136261;
  for (let i = 0; i < data.length; i++) h = Math.imul(h ^ data.charCodeAt(i), 16777619);
  return h >>> 0;
});
