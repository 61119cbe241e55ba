import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkConfigText } from '../../../shared/adapters/config/config-file.ts';
import { engineConfig, type EngineConfig } from '../../../shared/config/billing-config.ts';
import { Money } from '../../../shared/domain/money.ts';
import { nextCreditNote } from '../../../shared/use-cases/checkout/refund-booking.ts';
import { createOrganisation } from '../../../shared/use-cases/manage-organisation.ts';
import { addProduct } from '../../../shared/use-cases/manage-products.ts';
import { renewManually } from '../../../shared/use-cases/renew-manually.ts';
import { topUpBalance } from '../../../shared/use-cases/top-up-balance.ts';
import { runtime } from '../../support/local-stack.ts';

/** The sample configuration with a second seller, a German GmbH (the IBAN and VAT number of public examples). */
function twoSellers(): EngineConfig {
  const doc = parse(readFileSync('config/sample.yaml', 'utf8')) as { sellers: unknown[] };
  doc.sellers.push({
    id: 'de',
    name: 'Example Hosting GmbH',
    address: { street: 'Friedrichstraße', buildingNumber: '10', zip: '10117', city: 'Berlin', country: 'DE' },
    vatNumber: 'DE136695976',
    bank: { iban: 'DE89 3704 0044 0532 0130 00' },
    email: 'rechnung@example-hosting.de',
  });
  const check = checkConfigText(JSON.stringify(doc));
  if (!check.ok) throw new Error(JSON.stringify(check.problems));
  return engineConfig(check.file);
}

const owner = (id: string) => ({ userId: `o-${id}`, email: `owner@${id}.example`, name: 'Owner' });

describe('an organisation billed by a seller other than the default', () => {
  it("is invoiced in that seller's name, number series and VAT: a German customer of the German seller pays German VAT", async () => {
    const rt = await runtime('memory', { today: '2026-11-01', config: twoSellers() });
    await createOrganisation(rt.deps, { id: 'berlin', name: 'Kunde GmbH', currency: 'EUR', country: 'DE', sellerId: 'de', owner: owner('berlin') });
    await topUpBalance(rt.deps, 'berlin', { amount: '100', reference: 'dep-1' });
    await addProduct(rt.deps, 'berlin', { id: 'dom', typeId: 'domain-com', name: 'beispiel.com', expiry: '2026-12-31' });
    const paid = await renewManually(rt.deps, 'berlin', { productId: 'dom', requestId: 'r1' });
    // The German seller's own series; 16.50 EUR + 19 % German VAT (3.135 rounds to 3.14) = 19.64.
    expect(paid.invoiceNumber).toBe('INV-DE-2026-000001');
    expect(paid.total).toBe('19.64');
    const invoice = (await rt.store.findInvoice(paid.invoiceNumber))!;
    expect(invoice).toMatchObject({ sellerId: 'de', seller: { name: 'Example Hosting GmbH', iban: 'DE89370400440532013000' }, vatBreakdown: [{ rate: '19' }] });

    // A refund's credit note comes from the seller of the invoice, in its series.
    const note = await nextCreditNote(rt.deps, invoice, '2026-11-02', Money.of('5.00', 'EUR'), [{ method: 'balance', amount: Money.of('5.00', 'EUR') }]);
    expect(note.number).toBe('CN-DE-2026-000001');
    expect(note.seller.name).toBe('Example Hosting GmbH');
  });

  it('leaves the default seller to organisations that name none: a German customer of the Swiss seller pays German VAT (B2C)', async () => {
    const rt = await runtime('memory', { today: '2026-11-01', config: twoSellers() });
    await createOrganisation(rt.deps, { id: 'munich', name: 'Privat', currency: 'EUR', country: 'DE', owner: owner('munich') });
    await topUpBalance(rt.deps, 'munich', { amount: '100', reference: 'dep-1' });
    await addProduct(rt.deps, 'munich', { id: 'dom', typeId: 'domain-com', name: 'privat.com', expiry: '2026-12-31' });
    const paid = await renewManually(rt.deps, 'munich', { productId: 'dom', requestId: 'r1' });
    expect(paid.invoiceNumber).toBe('INV-CH-2026-000001');
    expect(await rt.store.findInvoice(paid.invoiceNumber)).toMatchObject({ seller: { name: 'Example Hosting SA' }, vatBreakdown: [{ rate: '19' }], total: '19.64' });
  });

  it('refuses an organisation naming a seller the configuration does not have (400), creating nothing', async () => {
    const rt = await runtime('memory', { today: '2026-11-01', config: twoSellers() });
    await expect(createOrganisation(rt.deps, { id: 'xy', name: 'X', currency: 'CHF', country: 'CH', sellerId: 'fr', owner: owner('xy') })).rejects.toMatchObject({
      status: 400,
      code: 'unknown_seller',
      message: 'Unknown seller fr; the configuration has: ch, de',
    });
    expect(await rt.store.getOrganisation('xy')).toBeUndefined();
  });
});
