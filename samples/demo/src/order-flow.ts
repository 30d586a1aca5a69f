import { fox } from '@fox/sdk';
import { checksum, parseLine } from './catalog.js';
import type { PartnerApi } from './dependencies.js';
import type { Inventory } from './inventory.js';

/**
 * Order processing as a flow: parse the order line, then check stock and get a quote in
 * parallel, price it, and sign a receipt. Durable, so each run and its nodes are in the store
 * (`fox flows list`).
 */
export function buildOrderFlow(inventory: Inventory, partner: PartnerApi) {
  return fox
    .flow<{ line: string }>('order-processing', { durable: true })
    .node('parsed', (_, { input }) => parseLine(input.line))
    .node('stock', { needs: ['parsed'] }, ({ parsed }) => inventory.stockOf(parsed.sku))
    .node('price', { needs: ['parsed'] }, ({ parsed }) => partner.quote(parsed.sku))
    .node('total', { needs: ['parsed', 'price'] }, ({ parsed, price }) => parsed.qty * price)
    .node('receipt', { needs: ['parsed', 'stock', 'total'] }, ({ parsed, stock, total }) =>
      checksum(`${parsed.sku}:${parsed.qty}:${stock}:${total}`),
    )
    .build();
}
