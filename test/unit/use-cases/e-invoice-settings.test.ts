import { describe, expect, it } from 'vitest';
import { peppolIdProblem } from '../../../shared/domain/peppol-id.ts';
import { createOrganisation, updateOrganisation } from '../../../shared/use-cases/manage-organisation.ts';
import { runtime } from '../../support/local-stack.ts';

const base = { name: 'Acme GmbH', currency: 'EUR', country: 'DE', owner: { userId: 'u-1', email: 'billing@acme.example', name: 'Owner' } };
const postal = { street: 'Friedrichstraße', buildingNumber: '3', zip: '10117', city: 'Berlin', country: 'DE' };

describe("an organisation's e-invoice settings", () => {
  it('checks a GLN by its GS1 check digit (761000000001: weights 3, 1 from the right give 3×1 + 1×1 + 3×6 + 1×7 = 29, so 1)', () => {
    expect(peppolIdProblem('0088:7610000000011')).toBeUndefined();
    expect(peppolIdProblem('0088:7610000000017')).toBe('a GLN (scheme 0088) must be 13 digits with a valid GS1 check digit');
    expect(peppolIdProblem('0088:761000000001')).toBe('a GLN (scheme 0088) must be 13 digits with a valid GS1 check digit');
    // Other schemes are the network's to check.
    expect(peppolIdProblem('9930:DE136695976')).toBeUndefined();
  });

  it('keeps the address and the formats given, and refuses what would make invalid e-invoices, changing nothing', async () => {
    const rt = await runtime('memory');
    const org = await createOrganisation(rt.deps, {
      ...base,
      id: 'acme',
      postal,
      eInvoice: { formats: ['xrechnung', 'peppol'], peppolId: '9930:DE136695976', buyerReference: '04011000-12345-34' },
    });
    expect((await rt.store.getOrganisation('acme'))?.eInvoice).toEqual({ formats: ['xrechnung', 'peppol'], peppolId: '9930:DE136695976', buyerReference: '04011000-12345-34' });
    expect(org.postal).toEqual(postal);

    await expect(createOrganisation(rt.deps, { ...base, id: 'no-id', eInvoice: { formats: ['peppol'] } })).rejects.toThrow(
      "Peppol invoices need the organisation's Peppol participant id (peppolId)",
    );
    await expect(createOrganisation(rt.deps, { ...base, id: 'no-address', eInvoice: { formats: ['xrechnung'] } })).rejects.toThrow(
      "XRechnung invoices need the organisation's structured address (postal): street, zip, city, country",
    );
    await expect(createOrganisation(rt.deps, { ...base, id: 'bad-gln', eInvoice: { formats: ['peppol'], peppolId: '0088:7610000000017' } })).rejects.toThrow(
      'a GLN (scheme 0088) must be 13 digits with a valid GS1 check digit',
    );
    await expect(createOrganisation(rt.deps, { ...base, id: 'bad-format', eInvoice: { formats: ['edifact'] } })).rejects.toThrow('must be one of peppol, xrechnung, facturx');
    for (const id of ['no-id', 'no-address', 'bad-gln', 'bad-format']) expect(await rt.store.getOrganisation(id)).toBeUndefined();

    const plain = await createOrganisation(rt.deps, { ...base, id: 'plain' });
    await expect(updateOrganisation(rt.deps, 'plain', { eInvoice: { formats: ['xrechnung'] } })).rejects.toThrow('XRechnung invoices need');
    expect((await rt.store.getOrganisation('plain'))?.eInvoice).toBeUndefined();
    const updated = await updateOrganisation(rt.deps, plain.id, { postal, eInvoice: { formats: ['xrechnung', 'facturx'] } });
    expect(updated.eInvoice).toEqual({ formats: ['xrechnung', 'facturx'] });
    expect(updated.postal).toEqual(postal);
  });
});
