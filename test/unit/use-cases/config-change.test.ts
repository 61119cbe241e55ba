import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkConfigText } from '../../../shared/adapters/config/config-file.ts';
import { engineConfig, type EngineConfig } from '../../../shared/config/billing-config.ts';
import { addProduct } from '../../../shared/use-cases/manage-products.ts';
import { renewManually } from '../../../shared/use-cases/renew-manually.ts';
import { anOrg, runtime } from '../../support/local-stack.ts';

/** The sample configuration with the .ch domain at another price and the seller at another address. */
function editedSample(chPrice: string, street: string): EngineConfig {
  const doc = parse(readFileSync('config/sample.yaml', 'utf8')) as {
    sellers: { address: { street: string } }[];
    catalogue: { id: string; prices: { CHF: string } }[];
  };
  doc.catalogue.find((t) => t.id === 'domain-ch')!.prices.CHF = chPrice;
  doc.sellers[0]!.address.street = street;
  const check = checkConfigText(JSON.stringify(doc));
  if (!check.ok) throw new Error(JSON.stringify(check.problems));
  return engineConfig(check.file);
}

describe('a price changed in the configuration', () => {
  it('prices the next renewal and leaves the invoice already issued as it was', async () => {
    const rt = await runtime('memory', { today: '2026-11-01' });
    await anOrg(rt, { id: 'acme', balance: '100.00' });
    const before = editedSample('13.00', 'Rue du Lac');
    const deps = { ...rt.deps, catalogue: before.catalogue, seller: before.seller };
    await addProduct(deps, 'acme', { id: 'dom', typeId: 'domain-ch', name: 'example.ch', expiry: '2026-12-31' });
    const first = await renewManually(deps, 'acme', { productId: 'dom', requestId: 'r1' });
    // 13.00 + 8.1 % VAT (1.053 rounds to 1.05) = 14.05.
    expect(first.total).toBe('14.05');
    const issued = structuredClone(await rt.store.findInvoice(first.invoiceNumber));

    // The stage's file now sells the domain at 15.00, from a new address.
    const after = editedSample('15.00', 'Route de Chêne');
    const later = { ...rt.deps, catalogue: after.catalogue, seller: after.seller };
    const second = await renewManually(later, 'acme', { productId: 'dom', requestId: 'r2' });
    // 15.00 + 1.215 VAT (rounds to 1.22) = 16.22.
    expect(second.total).toBe('16.22');
    expect((await rt.store.findInvoice(second.invoiceNumber))?.seller.address).toMatch(/^Route de Chêne 1,/);

    const unchanged = await rt.store.findInvoice(first.invoiceNumber);
    expect(unchanged).toEqual(issued);
    expect(unchanged).toMatchObject({ total: '14.05', lines: [{ unitPrice: '13.00', net: '13.00', vat: '1.05' }] });
    expect(unchanged?.seller.address).toMatch(/^Rue du Lac 1,/);
  });
});
