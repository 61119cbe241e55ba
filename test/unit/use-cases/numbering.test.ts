import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Money } from '../../../shared/domain/money.ts';
import type { Invoice } from '../../../shared/domain/invoice.ts';
import { type BillingStore } from '../../../shared/ports/billing-store.ts';
import { WriteConflict, type Change } from '../../../shared/ports/unit-of-work.ts';
import { commitNumbered, NumberRangeLeases, renumbered } from '../../../shared/use-cases/numbering.ts';
import { InMemoryBillingStore } from '../../../shared/adapters/memory/in-memory-billing-store.ts';

const invoice = { number: 'INV-CH-2026-000004', series: 'INV', sellerId: 'ch', year: 2026, sequence: 4 } as Invoice;

function changes(): Change[] {
  return [
    { type: 'invoice', invoice },
    {
      type: 'payment',
      payment: { id: 'pi_1', orgId: 'o', date: '2026-12-17', method: 'card', amount: '9.05', currency: 'CHF', gatewayRef: 'pi_1', invoiceNumber: invoice.number, createdAt: '' },
    },
    {
      type: 'balance',
      orgId: 'o',
      from: '5.00',
      to: '0.00',
      entry: { id: 'e', orgId: 'o', date: '2026-12-17', amount: '-5.00', currency: 'CHF', reason: 'renewal', ref: invoice.number, balanceAfter: '0.00', createdAt: '' },
    },
    { type: 'email', email: { id: 'm', date: '2026-12-17', orgId: 'o', to: [], template: 'renewal-paid', data: { invoice: invoice.number }, createdAt: '' } },
  ];
}

/** A store whose counter moves under us `losses` times before a commit goes through. */
function racingStore(losses: number, conflict: Change['type'][] = ['invoice']) {
  const commits: Change[][] = [];
  let last = 3;
  const store = {
    async commit(c: Change[]) {
      commits.push(c);
      if (commits.length <= losses) {
        last += 1;
        throw new WriteConflict(conflict);
      }
    },
    async lastInvoiceSequence() {
      return last;
    },
  } as unknown as BillingStore;
  return { store, commits };
}

describe('committing an invoice whose number another worker took', () => {
  it('takes the next free number and renumbers everything that quotes it, without redoing the rest', async () => {
    const { store, commits } = racingStore(2);
    await commitNumbered(store, changes());
    expect(commits).toHaveLength(3);
    const final = commits.at(-1)!;
    expect(
      final.map((c) =>
        c.type === 'invoice'
          ? c.invoice.number
          : c.type === 'payment'
            ? c.payment.invoiceNumber
            : c.type === 'balance'
              ? c.entry.ref
              : c.type === 'email'
                ? c.email.data.invoice
                : '',
      ),
    ).toEqual(Array(4).fill('INV-CH-2026-000006'));
    expect((final[0] as Extract<Change, { type: 'invoice' }>).invoice.sequence).toBe(6);
  });

  it('rethrows any other conflict for the whole unit of work to be retried', async () => {
    const { store, commits } = racingStore(1, ['invoice', 'product']);
    await expect(commitNumbered(store, changes())).rejects.toBeInstanceOf(WriteConflict);
    expect(commits).toHaveLength(1);
  });

  it('rethrows an error that is no conflict at all, without a second try', async () => {
    const commits: Change[][] = [];
    const store = {
      async commit(c: Change[]) {
        commits.push(c);
        throw new Error('disk full');
      },
      async lastInvoiceSequence() {
        return 3;
      },
    } as unknown as BillingStore;
    await expect(commitNumbered(store, changes())).rejects.toThrow('disk full');
    expect(commits).toHaveLength(1);
  });

  it('gives up after 8 renumberings, the ninth lost commit going to the caller', async () => {
    const { store, commits } = racingStore(1_000);
    await expect(commitNumbered(store, changes())).rejects.toBeInstanceOf(WriteConflict);
    expect(commits).toHaveLength(9);
  });

  it('finds the invoice wherever it stands in the unit of work', async () => {
    const { store, commits } = racingStore(1);
    const [inv, ...rest] = changes();
    await commitNumbered(store, [...rest, inv!]);
    expect(commits).toHaveLength(2);
    expect(commits[1]!.map((c) => (c.type === 'invoice' ? c.invoice.number : c.type === 'payment' ? c.payment.invoiceNumber : ''))).toEqual([
      'INV-CH-2026-000005',
      '',
      '',
      'INV-CH-2026-000005',
    ]);
  });
});

describe('renumbering a unit of work', () => {
  const OLD = 'INV-CH-2026-000004';
  const NEW = 'INV-CH-2026-000009';
  type Sample = { [K in Change['type']]: Extract<Change, { type: K }> };
  // One change of every type, the old number wherever such a record can quote a document. A new change
  // type does not compile here until it has its sample, and then it must come out with the new number.
  const sample = {
    organisation: { type: 'organisation', org: { id: 'o' } as never, isNew: false },
    customerRef: { type: 'customerRef', orgId: 'o', ref: 'cus_1' },
    identityCheck: { type: 'identityCheck', orgId: 'o', state: 'passed' },
    partnerProfile: { type: 'partnerProfile', orgId: 'o', partner: {} as never },
    partnerLink: { type: 'partnerLink', orgId: 'o', partnerId: 'p', billToPartner: true },
    orgProfile: { type: 'orgProfile', orgId: 'o', fields: { name: 'Acme' } },
    member: { type: 'member', member: { orgId: 'o', userId: 'u' } as never },
    memberRemoved: { type: 'memberRemoved', orgId: 'o', userId: 'u' },
    orgErased: { type: 'orgErased', orgId: 'o', name: 'Erased', erasedAt: '2026-12-01T00:00:00Z', expectedBalance: '0.00' },
    paymentMethodRemoved: { type: 'paymentMethodRemoved', orgId: 'o', methodId: 'm', gatewayRef: 'pm_1' },
    audit: { type: 'audit', entry: { id: 'r' } as never },
    paymentMethod: { type: 'paymentMethod', method: { id: 'm' } as never },
    product: { type: 'product', product: { id: 'p', lastInvoiceNumber: OLD } as never, expectedVersion: 1 },
    productUnchanged: { type: 'productUnchanged', orgId: 'o', productId: 'p', version: 1 },
    productAttemptMark: { type: 'productAttemptMark', orgId: 'o', productId: 'p', version: 1, attemptId: 'a' },
    productRemoved: { type: 'productRemoved', orgId: 'o', productId: 'p', expectedVersion: 1 },
    noPendingAttempt: { type: 'noPendingAttempt', orgId: 'o', attemptId: 'a' },
    balance: { type: 'balance', orgId: 'o', from: '1.00', to: '0.00', entry: { id: 'e', ref: OLD } as never },
    attempt: { type: 'attempt', attempt: { id: 'a', invoiceNumber: OLD } as never, expectedStatus: 'pending' },
    invoice: { type: 'invoice', invoice: { ...invoice, number: OLD, sequence: 4 } },
    invoiceUpdate: { type: 'invoiceUpdate', invoice: { number: 'PF-CH-2026-000001', finalInvoiceNumber: OLD } as never, expected: { status: 'open' } },
    payment: { type: 'payment', payment: { id: 'pi', invoiceNumber: OLD } as never },
    email: { type: 'email', email: { id: 'm', data: { invoice: OLD, creditNote: 'CN-CH-2026-000001' } } as never },
    lifecycle: { type: 'lifecycle', command: { id: 'l' } as never, expectedStatus: null },
    outcome: { type: 'outcome', outcome: { invoiceNumber: OLD } as never },
    checkout: { type: 'checkout', checkout: { id: 'c', invoiceNumber: OLD, items: [{ productId: 'p', invoice: OLD }] } as never, expected: null },
    gatewayEvent: { type: 'gatewayEvent', event: { id: 'ev' } as never, expectedStatus: null },
    bankCredit: { type: 'bankCredit', credit: { id: 'b', settled: [OLD] } as never },
    exportJob: { type: 'exportJob', job: { id: 'x' } as never, expectedStatus: null },
    bankStatement: { type: 'bankStatement', statement: { id: 's', fileDigest: 'd', credits: 1, importedAt: '' } },
    events: { type: 'events', record: { date: '2026-12-01', id: 'ev', events: [{ data: { invoiceNumber: OLD } }] } as never },
    exchangeRate: { type: 'exchangeRate', rate: { currency: 'EUR', period: '2026-12', chf: '0.94' } },
  } satisfies Sample;

  it('gives every change of every type the new number wherever it quoted the old one, and the invoice its sequence', () => {
    const before = Object.values(sample) as Change[];
    const after = renumbered(before, OLD, 9, NEW);
    const text = JSON.stringify(after);
    expect(text).not.toContain(OLD);
    expect(text.split(NEW).length).toBe(JSON.stringify(before).split(OLD).length);
    expect(after.find((c) => c.type === 'invoice')).toMatchObject({ invoice: { number: NEW, sequence: 9 } });
    // Other documents' numbers, and values that merely contain the number, are left as they were.
    expect(text).toContain('PF-CH-2026-000001');
    expect(text).toContain('CN-CH-2026-000001');
    expect(JSON.stringify(before)).not.toContain(NEW);
    // Only the invoice issued takes the sequence; every other change is the same change, renumbered.
    expect(after.find((c) => c.type === 'payment')).toEqual({ type: 'payment', payment: { id: 'pi', invoiceNumber: NEW } });
    expect(after.find((c) => c.type === 'invoiceUpdate')).toEqual({
      type: 'invoiceUpdate',
      invoice: { number: 'PF-CH-2026-000001', finalInvoiceNumber: NEW },
      expected: { status: 'open' },
    });
  });

  it('leaves values that are not plain data as they are', () => {
    const amount = Money.of('14.05', 'CHF');
    const [out] = renumbered([{ type: 'outcome', outcome: { amount, number: OLD } } as unknown as Change], OLD, 9, NEW);
    expect((out as unknown as { outcome: { amount: Money; number: string } }).outcome.amount).toBe(amount);
    expect((out as unknown as { outcome: { number: string } }).outcome.number).toBe(NEW);
  });

  it('changes only values equal to the number, at any depth (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        const change = { type: 'outcome', outcome: { a, quoted: [OLD, { deeper: OLD }], near: `${OLD}-x`, b } } as unknown as Change;
        const [out] = renumbered([change], OLD, 9, NEW);
        const expected = JSON.parse(
          JSON.stringify({ type: 'outcome', outcome: { a, quoted: [NEW, { deeper: NEW }], near: `${OLD}-x`, b } })
            .split(`"${OLD}"`)
            .join(`"${NEW}"`),
        );
        expect(JSON.parse(JSON.stringify(out))).toEqual(expected);
      }),
    );
  });
});

describe('number ranges leased by process (numberRangesBy: process)', () => {
  const seller = { id: 'ch', invoiceSeriesShards: 4, numberRangesBy: 'process' as const };
  const at = (time: string) => ({ now: () => `2026-12-17T${time}.000Z` });
  /** A renewal's invoice as payRenewal makes it: in the organisation's own range, with the provisional sequence 0. */
  const renewalInvoice = (orgRange: string) =>
    ({ number: `INV-${orgRange.toUpperCase()}-2026-000000`, series: 'INV', sellerId: 'ch', seriesId: orgRange, year: 2026, sequence: 0, seller }) as unknown as Invoice;
  const numbered = (c: Change[]) => (c.find((x) => x.type === 'invoice') as Extract<Change, { type: 'invoice' }>).invoice;

  it('numbers each process from a range of its own, gapless, reading its counter once, whatever range the organisation has', async () => {
    const store = new InMemoryBillingStore();
    const reads: string[] = [];
    const read = store.lastInvoiceSequence.bind(store);
    store.lastInvoiceSequence = (series, range, year) => (reads.push(range), read(series, range, year));
    const a = new NumberRangeLeases(store, at('02:00:00'), 'process-a');
    const b = new NumberRangeLeases(store, at('02:00:00'), 'process-b');
    const issued: { by: string; number: string }[] = [];
    for (let i = 0; i < 6; i++) {
      for (const [name, leases] of [
        ['a', a],
        ['b', b],
      ] as const) {
        const invoice = renewalInvoice(`ch0${i % 4}`);
        let committed: Change[] = [];
        const commit = store.commit.bind(store);
        await commitNumbered(
          { ...store, lastInvoiceSequence: store.lastInvoiceSequence, commit: async (c: Change[]) => ((committed = c), commit(c)) } as never,
          [{ type: 'invoice', invoice }],
          leases,
        );
        issued.push({ by: name, number: numbered(committed).number });
      }
    }
    const rangeOf = (n: string) => n.split('-')[1];
    const ofA = issued.filter((x) => x.by === 'a').map((x) => x.number);
    const ofB = issued.filter((x) => x.by === 'b').map((x) => x.number);
    // One range each, not the same one, numbered 1 to 6 without a gap.
    expect(new Set(ofA.map(rangeOf)).size).toBe(1);
    expect(new Set(ofB.map(rangeOf)).size).toBe(1);
    expect(rangeOf(ofA[0]!)).not.toBe(rangeOf(ofB[0]!));
    expect(ofA.map((n) => Number(n.split('-')[3]))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(ofB.map((n) => Number(n.split('-')[3]))).toEqual([1, 2, 3, 4, 5, 6]);
    // Each range's counter read once, at its first number.
    expect(reads.sort()).toEqual([rangeOf(ofA[0]!)!.toLowerCase(), rangeOf(ofB[0]!)!.toLowerCase()].sort());
  });

  it('gives a range up when someone else numbered in it, and takes the one of a process whose lease ran out', async () => {
    const store = new InMemoryBillingStore();
    let clock = '02:00:00';
    const a = new NumberRangeLeases(store, { now: () => `2026-12-17T${clock}.000Z` }, 'process-a');
    const range = await a.rangeFor('INV', seller, 2026);
    expect(range).toBeDefined();
    // Another process, without the lease, numbers in that range: a's next commit loses the counter, reads it, and gives the range up.
    await store.commit([{ type: 'invoice', invoice: { ...renewalInvoice(range!), number: `INV-${range!.toUpperCase()}-2026-000001`, sequence: 1 } }]);
    expect(a.last({ series: 'INV', seriesId: range!, year: 2026 }, 'ch')).toBeUndefined();
    await commitNumbered(store, [{ type: 'invoice', invoice: renewalInvoice('ch00') }], a);
    expect(await store.lastInvoiceSequence('INV', range!, 2026)).toBe(2);
    // a's lease lasts 10 minutes: b, starting 11 minutes later, may take it.
    clock = '02:11:00';
    const b = new NumberRangeLeases(store, { now: () => `2026-12-17T${clock}.000Z` }, 'process-b');
    const taken = new Set<string | undefined>();
    for (let i = 0; i < 4; i++) taken.add(await new NumberRangeLeases(store, { now: () => `2026-12-17T${clock}.000Z` }, `p${i}`).rangeFor('INV', seller, 2026));
    taken.add(await b.rangeFor('INV', seller, 2026));
    // Four ranges, five processes: four leases and one without (it numbers in the organisation's range, as before).
    expect([...taken].filter(Boolean)).toHaveLength(4);
    expect(taken.has(undefined)).toBe(true);
  });

  it('asks for no range again for five minutes once all were held, then takes one freed meanwhile', async () => {
    const store = new InMemoryBillingStore();
    let clock = '02:00:00';
    const now = { now: () => `2026-12-17T${clock}.000Z` };
    for (let i = 0; i < 4; i++) await new NumberRangeLeases(store, now, `p${i}`).rangeFor('INV', seller, 2026);
    const asked: string[] = [];
    const lease = store.leaseNumberRange.bind(store);
    store.leaseNumberRange = (range, owner, until, at) => (asked.push(range.seriesId), lease(range, owner, until, at));
    const late = new NumberRangeLeases(store, now, 'late');
    expect(await late.rangeFor('INV', seller, 2026)).toBeUndefined();
    expect(asked).toHaveLength(4);
    clock = '02:04:59';
    expect(await late.rangeFor('INV', seller, 2026)).toBeUndefined();
    expect(asked).toHaveLength(4);
    // The others' leases ran out at 02:10 (none extended them): at 02:11 the late process gets one.
    clock = '02:11:00';
    expect(await late.rangeFor('INV', seller, 2026)).toMatch(/^ch0[0-3]$/);
  });

  it('leases nothing for a seller numbering by organisation, or with one range', async () => {
    const store = new InMemoryBillingStore();
    const leases = new NumberRangeLeases(store, at('02:00:00'), 'p');
    expect(await leases.rangeFor('INV', { id: 'ch', invoiceSeriesShards: 4 }, 2026)).toBeUndefined();
    expect(await leases.rangeFor('INV', { id: 'ch', numberRangesBy: 'process' }, 2026)).toBeUndefined();
  });
});
