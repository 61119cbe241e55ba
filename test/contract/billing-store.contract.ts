import { describe, expect, it } from 'vitest';
import type { Checkout } from '../../shared/domain/checkout.ts';
import type { Invoice } from '../../shared/domain/invoice.ts';
import type { Organisation } from '../../shared/domain/organisation.ts';
import type { Product } from '../../shared/domain/product.ts';
import { type BillingStore } from '../../shared/ports/billing-store.ts';
import { WriteConflict, type Change } from '../../shared/ports/unit-of-work.ts';
import type { BankCreditRecord, LedgerEntry } from '../../shared/domain/records.ts';

/**
 * What every billing store must do, written once and run against each of
 * them (the DynamoDB store on DynamoDB Local, and the in-memory store), so
 * the two cannot drift: conditions, commits that fail whole, gapless
 * numbers, the lists and their order, and copies in and out.
 */
export function billingStoreContract(name: string, makeStore: () => Promise<BillingStore>): void {
  describe(`billing store contract: ${name}`, () => {
    const org = (id: string, over: Partial<Organisation> = {}): Organisation => ({
      id,
      name: `Org ${id}`,
      currency: 'CHF',
      country: 'CH',
      balance: '0.00',
      billingContacts: [],
      createdAt: '2026-12-01T00:00:00Z',
      ...over,
    });
    const product = (orgId: string, id: string, over: Partial<Product> = {}): Product => ({
      id,
      orgId,
      typeId: 'domain-ch',
      name: `${id}.ch`,
      expiry: '2026-12-31',
      periodMonths: 12,
      autoRenew: true,
      status: 'active',
      failedAttempts: 0,
      createdAt: '2026-12-01T00:00:00Z',
      version: 1,
      ...over,
    });
    const entry = (orgId: string, id: string, amount: string, balanceAfter: string, createdAt = '2026-12-01T00:00:00Z'): LedgerEntry => ({
      id,
      orgId,
      date: '2026-12-01',
      amount,
      currency: 'CHF',
      reason: 'top-up',
      ref: id,
      balanceAfter,
      createdAt,
    });
    const invoice = (orgId: string, sequence: number, over: Partial<Invoice> = {}): Invoice =>
      ({
        number: `INV-CH-2026-${String(sequence).padStart(6, '0')}`,
        series: 'INV',
        sellerId: 'ch',
        year: 2026,
        sequence,
        orgId,
        issueDate: '2026-12-01',
        currency: 'CHF',
        seller: { id: 'ch' },
        buyer: { name: 'x', country: 'CH' },
        lines: [],
        vatBreakdown: [],
        totalNet: '13.00',
        totalVat: '1.05',
        total: '14.05',
        payments: [],
        status: 'paid',
        ...over,
      }) as Invoice;
    const conflict = async (store: BillingStore, changes: Change[]) => {
      try {
        await store.commit(changes);
      } catch (err) {
        if (err instanceof WriteConflict) return err.conflicts;
        throw err;
      }
      return [];
    };

    it('creates an organisation once, updates only one that exists', async () => {
      const s = await makeStore();
      await s.commit([{ type: 'organisation', org: org('a'), isNew: true }]);
      expect(await conflict(s, [{ type: 'organisation', org: org('a'), isNew: true }])).toEqual(['organisation']);
      expect(await conflict(s, [{ type: 'organisation', org: org('b'), isNew: false }])).toEqual(['organisation']);
      await s.commit([{ type: 'organisation', org: org('a', { name: 'Renamed' }), isNew: false }]);
      expect((await s.getOrganisation('a'))?.name).toBe('Renamed');
      expect(await s.getOrganisation('b')).toBeUndefined();
      await s.commit([{ type: 'organisation', org: org('0-first'), isNew: true }]);
      expect((await s.listOrganisations()).map((o) => o.id)).toEqual(['0-first', 'a']);
    });

    it('changes profile fields of an organisation that exists and leaves its balance alone', async () => {
      const s = await makeStore();
      await s.commit([{ type: 'organisation', org: org('a', { language: 'fr' }), isNew: true }]);
      await s.commit([{ type: 'balance', orgId: 'a', from: '0.00', to: '20.00', entry: entry('a', 'dep-1', '20.00', '20.00') }]);
      await s.commit([{ type: 'orgProfile', orgId: 'a', fields: { name: 'Acme SA', language: 'de', billingContacts: ['b@acme.test'], reminderDaysBefore: [30, 7] } }]);
      expect(await s.getOrganisation('a')).toMatchObject({
        name: 'Acme SA',
        language: 'de',
        billingContacts: ['b@acme.test'],
        reminderDaysBefore: [30, 7],
        balance: '20.00',
        country: 'CH',
      });
      expect(await conflict(s, [{ type: 'orgProfile', orgId: 'nobody', fields: { name: 'X' } }])).toEqual(['orgProfile']);
      expect(await s.getOrganisation('nobody')).toBeUndefined();
    });

    it('removes a member and a saved method only if they exist, with their lookups', async () => {
      const s = await makeStore();
      await s.commit([{ type: 'organisation', org: org('a'), isNew: true }]);
      const member = { orgId: 'a', userId: 'bob', email: 'bob@a.test', name: 'Bob', role: 'collaborator' as const, billingRights: false, productIds: [] };
      const method = { id: 'pm-1', orgId: 'a', kind: 'card' as const, label: 'Visa 4242', gatewayRef: 'pm_card_visa', createdAt: '2026-12-01T00:00:00Z' };
      await s.commit([
        { type: 'member', member },
        { type: 'paymentMethod', method },
      ]);
      await s.commit([
        { type: 'memberRemoved', orgId: 'a', userId: 'bob' },
        { type: 'paymentMethodRemoved', orgId: 'a', methodId: 'pm-1', gatewayRef: 'pm_card_visa' },
      ]);
      expect(await s.getMember('a', 'bob')).toBeUndefined();
      expect(await s.listMembers('a')).toEqual([]);
      expect(await s.listMembershipsOf('bob')).toEqual([]);
      expect(await s.getPaymentMethod('a', 'pm-1')).toBeUndefined();
      expect(await s.findPaymentMethodByRef('pm_card_visa')).toBeUndefined();
      expect(await conflict(s, [{ type: 'memberRemoved', orgId: 'a', userId: 'bob' }])).toEqual(['memberRemoved']);
      expect(await conflict(s, [{ type: 'paymentMethodRemoved', orgId: 'a', methodId: 'pm-1', gatewayRef: 'pm_card_visa' }])).toEqual(['paymentMethodRemoved']);
    });

    it('moves a product to another organisation in one commit, only from the version read, off the old date and expiry indexes', async () => {
      const s = await makeStore();
      await s.commit([
        { type: 'organisation', org: org('a'), isNew: true },
        { type: 'organisation', org: org('b'), isNew: true },
      ]);
      const p = { ...product('a', 'dom'), nextActionDate: '2026-12-17' };
      await s.commit([{ type: 'product', product: p, expectedVersion: null }]);
      expect(await conflict(s, [{ type: 'productRemoved', orgId: 'a', productId: 'dom', expectedVersion: p.version + 1 }])).toEqual(['productRemoved']);
      await s.commit([
        { type: 'productRemoved', orgId: 'a', productId: 'dom', expectedVersion: p.version },
        { type: 'product', product: { ...p, orgId: 'b', version: p.version + 1 }, expectedVersion: null },
      ]);
      expect(await s.getProduct('a', 'dom')).toBeUndefined();
      expect((await s.listProducts('a')).map((x) => x.id)).toEqual([]);
      expect(await s.getProduct('b', 'dom')).toMatchObject({ orgId: 'b', version: p.version + 1 });
      expect(await s.listDueProducts('2026-12-17')).toEqual([{ orgId: 'b', productId: 'dom' }]);
      // Gone from the first organisation: removing it again is a conflict.
      expect(await conflict(s, [{ type: 'productRemoved', orgId: 'a', productId: 'dom', expectedVersion: p.version }])).toEqual(['productRemoved']);
    });

    it('leases a number range to one owner at a time, to another once the lease ran out, and leaves the numbers alone', async () => {
      const s = await makeStore();
      const range = { series: 'INV' as const, seriesId: 'ch03', year: 2026 };
      expect(await s.leaseNumberRange(range, 'a', '2026-12-17T02:10:00.000Z', '2026-12-17T02:00:00.000Z')).toBe(true);
      // Held by a until 02:10: b is refused before, a extends its own.
      expect(await s.leaseNumberRange(range, 'b', '2026-12-17T02:15:00.000Z', '2026-12-17T02:05:00.000Z')).toBe(false);
      expect(await s.leaseNumberRange(range, 'a', '2026-12-17T02:20:00.000Z', '2026-12-17T02:05:00.000Z')).toBe(true);
      expect(await s.leaseNumberRange(range, 'b', '2026-12-17T02:25:00.000Z', '2026-12-17T02:15:00.000Z')).toBe(false);
      // Ran out at 02:20: b takes it, and a is refused.
      expect(await s.leaseNumberRange(range, 'b', '2026-12-17T02:31:00.000Z', '2026-12-17T02:21:00.000Z')).toBe(true);
      expect(await s.leaseNumberRange(range, 'a', '2026-12-17T02:32:00.000Z', '2026-12-17T02:22:00.000Z')).toBe(false);
      // Another range, another year: leases of their own. The lease is no number.
      expect(await s.leaseNumberRange({ ...range, seriesId: 'ch04' }, 'a', '2026-12-17T02:32:00.000Z', '2026-12-17T02:22:00.000Z')).toBe(true);
      expect(await s.leaseNumberRange({ ...range, year: 2027 }, 'a', '2026-12-17T02:32:00.000Z', '2026-12-17T02:22:00.000Z')).toBe(true);
      expect(await s.lastInvoiceSequence('INV', 'ch03', 2026)).toBe(0);
      expect(await s.listInvoicesOfSeries('INV', 'ch03', 2026)).toEqual([]);
    });

    it('reads a product with its organisation, and says which of the two is missing', async () => {
      const s = await makeStore();
      await s.commit([{ type: 'organisation', org: org('a', { balance: '12.50' }), isNew: true }]);
      await s.commit([{ type: 'product', product: product('a', 'dom', { expiry: '2027-03-01' }), expectedVersion: null }]);
      const both = await s.getProductWithOrganisation('a', 'dom');
      expect(both.product).toMatchObject({ id: 'dom', orgId: 'a', expiry: '2027-03-01' });
      expect(both.org).toMatchObject({ id: 'a', balance: '12.50' });
      // No key fields of the table leak into what is returned.
      expect(Object.keys(both.product!)).not.toContain('pk');
      expect(Object.keys(both.org!)).not.toContain('sk');
      const noProduct = await s.getProductWithOrganisation('a', 'other');
      expect(noProduct.product).toBeUndefined();
      expect(noProduct.org).toMatchObject({ id: 'a' });
      expect(await s.getProductWithOrganisation('nobody', 'dom')).toEqual({});
    });

    it("reads the organisation's saved method with them when asked, and only one of that organisation", async () => {
      const s = await makeStore();
      const method = { id: 'pm-1', orgId: 'a', kind: 'card' as const, label: 'Visa 4242', gatewayRef: 'pm_card_visa', createdAt: '2026-12-01T00:00:00Z' };
      await s.commit([
        { type: 'organisation', org: org('a'), isNew: true },
        { type: 'organisation', org: org('b'), isNew: true },
        { type: 'product', product: product('a', 'dom'), expectedVersion: null },
        { type: 'paymentMethod', method },
      ]);
      const read = await s.getProductWithOrganisation('a', 'dom', 'pm-1');
      expect(read.method).toEqual(method);
      expect(read.product).toMatchObject({ id: 'dom' });
      expect((await s.getProductWithOrganisation('a', 'dom', 'pm-2')).method).toBeUndefined();
      expect((await s.getProductWithOrganisation('b', 'dom', 'pm-1')).method).toBeUndefined();
    });

    it("pages an organisation's products in expiry order, one read a page, the position naming where the next starts", async () => {
      const s = await makeStore();
      await s.commit([
        { type: 'organisation', org: org('a'), isNew: true },
        { type: 'organisation', org: org('b'), isNew: true },
      ]);
      // Five products of a (two on the same day, ordered by id), one of b in between.
      const expiries: [string, string][] = [
        ['e', '2027-03-01'],
        ['c', '2026-12-20'],
        ['a2', '2027-01-10'],
        ['a1', '2027-01-10'],
        ['z', '2027-06-30'],
      ];
      await s.commit(expiries.map(([id, expiry]) => ({ type: 'product' as const, product: product('a', id, { expiry }), expectedVersion: null })));
      await s.commit([{ type: 'product', product: product('b', 'other', { expiry: '2027-01-01' }), expectedVersion: null }]);
      const pages: string[][] = [];
      let after: Awaited<ReturnType<typeof s.listProductsPage>>['next'];
      do {
        const page = await s.listProductsPage('a', { limit: 2, ...(after ? { after } : {}) });
        pages.push(page.products.map((p) => p.id));
        after = page.next;
      } while (after && pages.length < 10);
      expect(pages).toEqual([['c', 'a1'], ['a2', 'e'], ['z']]);
      // A full last page says more may follow; the next read finds none.
      const full = await s.listProductsPage('a', { limit: 5 });
      expect(full.next).toEqual({ expiry: '2027-06-30', productId: 'z' });
      expect(await s.listProductsPage('a', { limit: 5, after: full.next! })).toEqual({ products: [] });
      // Within a window, and never another organisation's, whatever the position says.
      expect((await s.listProductsPage('a', { limit: 10, expiryUpTo: '2027-01-10' })).products.map((p) => p.id)).toEqual(['c', 'a1', 'a2']);
      expect((await s.listProductsPage('a', { limit: 10, after: { expiry: '2026-12-31', productId: 'other' } })).products.map((p) => p.id)).toEqual(['a1', 'a2', 'e', 'z']);
    });

    it('keeps a day of audit entries in time order, the outcome replacing the start', async () => {
      const s = await makeStore();
      const started = { date: '2026-12-01', id: 'req-2', at: '2026-12-01T10:00:02.000Z', client: 'shop|svc', action: 'POST /v1/admin/orgs', status: 'started' as const };
      await s.commit([{ type: 'audit', entry: started }]);
      await s.commit([{ type: 'audit', entry: { ...started, id: 'req-1', at: '2026-12-01T10:00:01.000Z' } }]);
      await s.commit([{ type: 'audit', entry: { ...started, status: 'done', httpStatus: 201, finishedAt: '2026-12-01T10:00:03.000Z' } }]);
      await s.commit([{ type: 'audit', entry: { ...started, id: 'req-0', date: '2026-12-02', at: '2026-12-02T00:00:00.000Z' } }]);
      const day = await s.listAuditEntries('2026-12-01');
      expect(day.map((e) => [e.id, e.status])).toEqual([
        ['req-1', 'started'],
        ['req-2', 'done'],
      ]);
      expect(day[1]).toMatchObject({ httpStatus: 201, finishedAt: '2026-12-01T10:00:03.000Z' });
    });

    it('fails a commit whole, naming the changes whose condition failed', async () => {
      const s = await makeStore();
      await s.commit([{ type: 'organisation', org: org('a'), isNew: true }]);
      const email = { id: 'e1', date: '2026-12-01', orgId: 'a', to: ['x@y.ch'], template: 'renewal-paid' as const, data: {}, createdAt: '' };
      expect(
        await conflict(s, [
          { type: 'email', email },
          { type: 'balance', orgId: 'a', from: '9.99', to: '10.00', entry: entry('a', 'l1', '0.01', '10.00') },
          { type: 'product', product: product('a', 'p'), expectedVersion: 3 },
        ]),
      ).toEqual(['balance', 'product']);
      expect(await s.listOutbox('2026-12-01')).toEqual([]);
      expect((await s.getOrganisation('a'))?.balance).toBe('0.00');
      expect(await s.listLedger('a')).toEqual([]);
    });

    it('refuses two writes to one item in a commit, and more than 100 items, changing nothing', async () => {
      const s = await makeStore();
      await s.commit([{ type: 'organisation', org: org('a'), isNew: true }]);
      await expect(
        s.commit([
          { type: 'balance', orgId: 'a', from: '0.00', to: '5.00', entry: entry('a', 'l1', '5.00', '5.00') },
          { type: 'customerRef', orgId: 'a', ref: 'cus_1' },
        ]),
      ).rejects.toThrow(/multiple operations on one item|one item/i);
      expect(await s.getOrganisation('a')).toMatchObject({ balance: '0.00' });
      expect((await s.getOrganisation('a'))?.gatewayCustomerRef).toBeUndefined();
      const many: Change[] = Array.from({ length: 101 }, (_, i) => ({ type: 'product', product: product('a', `p${i}`), expectedVersion: null }));
      await expect(s.commit(many)).rejects.toThrow(/100/);
      expect(await s.listProducts('a')).toEqual([]);
    });

    it('moves a balance only from the amount read, each ledger entry once', async () => {
      const s = await makeStore();
      await s.commit([{ type: 'organisation', org: org('a'), isNew: true }]);
      await s.commit([{ type: 'balance', orgId: 'a', from: '0.00', to: '20.00', entry: entry('a', 'dep-1', '20.00', '20.00', '2026-12-01T10:00:00Z') }]);
      expect(await conflict(s, [{ type: 'balance', orgId: 'a', from: '0.00', to: '40.00', entry: entry('a', 'dep-2', '20.00', '40.00') }])).toEqual(['balance']);
      expect(await conflict(s, [{ type: 'balance', orgId: 'a', from: '20.00', to: '40.00', entry: entry('a', 'dep-1', '20.00', '40.00') }])).toEqual(['balance']);
      await s.commit([{ type: 'balance', orgId: 'a', from: '20.00', to: '5.95', entry: entry('a', 'a-renewal', '-14.05', '5.95', '2026-12-01T11:00:00Z') }]);
      expect((await s.getOrganisation('a'))?.balance).toBe('5.95');
      // In the order of the moves, not of their ids.
      expect((await s.listLedger('a')).map((e) => e.id)).toEqual(['dep-1', 'a-renewal']);
    });

    it('writes a product on the version read, and checks one left unchanged', async () => {
      const s = await makeStore();
      await s.commit([{ type: 'product', product: product('a', 'p'), expectedVersion: null }]);
      expect(await conflict(s, [{ type: 'product', product: product('a', 'p'), expectedVersion: null }])).toEqual(['product']);
      expect(await conflict(s, [{ type: 'product', product: product('a', 'p', { version: 3 }), expectedVersion: 2 }])).toEqual(['product']);
      await s.commit([{ type: 'product', product: product('a', 'p', { version: 2, expiry: '2027-12-31' }), expectedVersion: 1 }]);
      expect(await conflict(s, [{ type: 'productUnchanged', orgId: 'a', productId: 'p', version: 1 }])).toEqual(['productUnchanged']);
      expect(await conflict(s, [{ type: 'productUnchanged', orgId: 'a', productId: 'missing', version: 1 }])).toEqual(['productUnchanged']);
      await s.commit([{ type: 'productUnchanged', orgId: 'a', productId: 'p', version: 2 }]);
      expect(await s.getProduct('a', 'p')).toMatchObject({ version: 2, expiry: '2027-12-31' });
    });

    it('marks a product with its held attempt on the version read, leaving the version and the rest as they were', async () => {
      const s = await makeStore();
      await s.commit([{ type: 'product', product: product('a', 'p', { expiry: '2027-01-01' }), expectedVersion: null }]);
      const mark = { type: 'productAttemptMark' as const, orgId: 'a', productId: 'p', attemptId: 'p#2027-01-01#1' };
      expect(await conflict(s, [{ ...mark, version: 2 }])).toEqual(['productAttemptMark']);
      expect(await conflict(s, [{ ...mark, productId: 'missing', version: 1 }])).toEqual(['productAttemptMark']);
      expect(await s.getProduct('a', 'missing')).toBeUndefined();
      await s.commit([{ ...mark, version: 1 }]);
      expect(await s.getProduct('a', 'p')).toEqual({ ...product('a', 'p', { expiry: '2027-01-01' }), pendingAttemptId: 'p#2027-01-01#1' });
    });

    it('lists products by expiry (up to a day, that day included) and the products due on a night', async () => {
      const s = await makeStore();
      await s.commit([
        { type: 'product', product: product('a', 'late', { expiry: '2027-03-01', nextActionDate: '2027-02-15' }), expectedVersion: null },
        { type: 'product', product: product('a', 'soon', { expiry: '2026-12-31', nextActionDate: '2026-12-17' }), expectedVersion: null },
        { type: 'product', product: product('a', 'also-soon', { expiry: '2026-12-31', nextActionDate: '2026-12-17' }), expectedVersion: null },
        { type: 'product', product: product('b', 'other', { expiry: '2026-12-01', nextActionDate: '2026-12-17' }), expectedVersion: null },
        { type: 'product', product: product('b', 'done', { expiry: '2026-12-01', status: 'terminated' }), expectedVersion: null },
      ]);
      expect((await s.listProducts('a')).map((p) => p.id)).toEqual(['also-soon', 'soon', 'late']);
      expect((await s.listProducts('a', { expiryUpTo: '2026-12-31' })).map((p) => p.id)).toEqual(['also-soon', 'soon']);
      const due = await s.listDueProducts('2026-12-17');
      expect(due.map((d) => `${d.orgId}/${d.productId}`).sort()).toEqual(['a/also-soon', 'a/soon', 'b/other']);
      expect(await s.listDueProducts('2026-12-18')).toEqual([]);
    });

    it('numbers each series without a gap, and finds a document by number or payment reference', async () => {
      const s = await makeStore();
      expect(await s.lastInvoiceSequence('INV', 'ch', 2026)).toBe(0);
      expect(await conflict(s, [{ type: 'invoice', invoice: invoice('a', 2) }])).toEqual(['invoice']);
      await s.commit([{ type: 'invoice', invoice: invoice('a', 1, { paymentReference: 'RF18539007547034' }) }]);
      expect(await conflict(s, [{ type: 'invoice', invoice: invoice('b', 1) }])).toEqual(['invoice']);
      expect(await conflict(s, [{ type: 'invoice', invoice: invoice('a', 3) }])).toEqual(['invoice']);
      await s.commit([{ type: 'invoice', invoice: invoice('b', 2, { issueDate: '2026-12-02' }) }]);
      expect(await s.lastInvoiceSequence('INV', 'ch', 2026)).toBe(2);
      expect(await s.lastInvoiceSequence('INV', 'ch', 2027)).toBe(0);
      expect(await s.listInvoicesOfSeries('INV', 'ch', 2026)).toEqual([
        { number: 'INV-CH-2026-000001', orgId: 'a', issueDate: '2026-12-01' },
        { number: 'INV-CH-2026-000002', orgId: 'b', issueDate: '2026-12-02' },
      ]);
      expect((await s.findInvoice('INV-CH-2026-000002'))?.orgId).toBe('b');
      expect(await s.findInvoice('INV-CH-2026-000003')).toBeUndefined();
      expect(await s.findInvoice('not a number')).toBeUndefined();
      expect((await s.findDocumentByReference('rf18 5390 0754 7034'))?.number).toBe('INV-CH-2026-000001');
      expect(await s.findDocumentByReference('RF00')).toBeUndefined();
      // Another range counts on its own.
      await s.commit([{ type: 'invoice', invoice: invoice('c', 1, { seriesId: 'ch01', number: 'INV-CH01-2026-000001' }) }]);
      expect(await s.lastInvoiceSequence('INV', 'ch01', 2026)).toBe(1);
      expect((await s.findInvoice('INV-CH01-2026-000001'))?.orgId).toBe('c');
      const docs: string[] = [];
      for await (const d of s.iterateDocuments('2026-12-01', '2026-12-02')) docs.push(d.number);
      expect(docs).toEqual(['INV-CH-2026-000001', 'INV-CH01-2026-000001', 'INV-CH-2026-000002']);
      expect((await s.listInvoices('a')).map((i) => i.number)).toEqual(['INV-CH-2026-000001']);
    });

    it('updates an invoice only from the status and open amount read', async () => {
      const s = await makeStore();
      const pro = invoice('a', 1, { series: 'PRO', number: 'PRO-CH-2026-000001', status: 'open', amountDue: '14.05', paymentReference: 'RF18539007547034' });
      await s.commit([{ type: 'invoice', invoice: pro }]);
      expect(await conflict(s, [{ type: 'invoiceUpdate', invoice: { ...pro, status: 'paid' }, expected: { status: 'paid' } }])).toEqual(['invoiceUpdate']);
      expect(await conflict(s, [{ type: 'invoiceUpdate', invoice: { ...pro, amountDue: '4.05' }, expected: { status: 'open' } }])).toEqual(['invoiceUpdate']);
      expect(await conflict(s, [{ type: 'invoiceUpdate', invoice: { ...pro, amountDue: '4.05' }, expected: { status: 'open', amountDue: '10.00' } }])).toEqual(['invoiceUpdate']);
      await s.commit([{ type: 'invoiceUpdate', invoice: { ...pro, amountDue: '4.05' }, expected: { status: 'open', amountDue: '14.05' } }]);
      expect((await s.findDocumentByReference('RF18539007547034'))?.amountDue).toBe('4.05');
      const missing = invoice('a', 9);
      expect(await conflict(s, [{ type: 'invoiceUpdate', invoice: missing, expected: { status: 'paid' } }])).toEqual(['invoiceUpdate']);
    });

    it('records an attempt once and moves it only from the status read; a pending one blocks what must wait', async () => {
      const s = await makeStore();
      const attempt = {
        id: 'p#2026-12-31#1',
        orgId: 'a',
        productId: 'p',
        periodStart: '2026-12-31',
        attempt: 1,
        night: '2026-12-17',
        idempotencyKey: 'k',
        currency: 'CHF' as const,
        total: '14.05',
        balancePart: '0.00',
        chargePart: '14.05',
        status: 'pending' as const,
        createdAt: '',
      };
      await s.commit([{ type: 'noPendingAttempt', orgId: 'a', attemptId: attempt.id }]);
      await s.commit([{ type: 'attempt', attempt, expectedStatus: null }]);
      expect(await conflict(s, [{ type: 'attempt', attempt, expectedStatus: null }])).toEqual(['attempt']);
      expect(await conflict(s, [{ type: 'noPendingAttempt', orgId: 'a', attemptId: attempt.id }])).toEqual(['noPendingAttempt']);
      await s.commit([{ type: 'attempt', attempt: { ...attempt, status: 'succeeded' }, expectedStatus: 'pending' }]);
      expect(await conflict(s, [{ type: 'attempt', attempt: { ...attempt, status: 'failed' }, expectedStatus: 'pending' }])).toEqual(['attempt']);
      await s.commit([{ type: 'noPendingAttempt', orgId: 'a', attemptId: attempt.id }]);
      await s.commit([{ type: 'attempt', attempt: { ...attempt, id: 'q#2026-12-31#1', productId: 'q' }, expectedStatus: null }]);
      expect((await s.listAttempts('a', 'p')).map((a) => a.status)).toEqual(['succeeded']);
    });

    it('moves a checkout only from the version and status read, and lists it under its waiting status', async () => {
      const s = await makeStore();
      const c = { id: 'co1', orgId: 'a', status: 'awaiting_payment', createdOn: '2026-12-01', version: 1 } as Checkout;
      await s.commit([{ type: 'checkout', checkout: c, expected: null }]);
      expect(await conflict(s, [{ type: 'checkout', checkout: c, expected: null }])).toEqual(['checkout']);
      expect(await s.listCheckoutsInStatus('awaiting_payment', '2026-12-01')).toEqual([{ orgId: 'a', checkoutId: 'co1', date: '2026-12-01' }]);
      expect(await s.listCheckoutsInStatus('awaiting_payment', '2026-11-30')).toEqual([]);
      const held = { ...c, status: 'held', heldSince: '2026-12-03', version: 2 } as Checkout;
      expect(await conflict(s, [{ type: 'checkout', checkout: held, expected: { version: 2, status: 'awaiting_payment' } }])).toEqual(['checkout']);
      expect(await conflict(s, [{ type: 'checkout', checkout: held, expected: { version: 1, status: 'held' } }])).toEqual(['checkout']);
      await s.commit([{ type: 'checkout', checkout: held, expected: { version: 1, status: 'awaiting_payment' } }]);
      expect(await s.listCheckoutsInStatus('awaiting_payment', '2026-12-31')).toEqual([]);
      expect(await s.listCheckoutsInStatus('held', '2026-12-02')).toEqual([]);
      expect(await s.listCheckoutsInStatus('held', '2026-12-03')).toEqual([{ orgId: 'a', checkoutId: 'co1', date: '2026-12-03' }]);
      await s.commit([{ type: 'checkout', checkout: { ...held, status: 'paid', version: 3 }, expected: { version: 2, status: 'held' } }]);
      expect(await s.listCheckoutsInStatus('held', '2026-12-31')).toEqual([]);
      expect((await s.listCheckouts('a')).map((x) => x.status)).toEqual(['paid']);
    });

    it('imports a bank credit once, reverses it once, and lists for review only what has a note', async () => {
      const s = await makeStore();
      const credit: BankCreditRecord = {
        id: 'acct|ref|14.05|2026-12-01',
        statementId: 'st',
        amount: '14.05',
        currency: 'CHF',
        outcome: 'settled',
        importedAt: '2026-12-01T18:00:00Z',
      };
      await s.commit([{ type: 'bankCredit', credit }]);
      expect(await conflict(s, [{ type: 'bankCredit', credit }])).toEqual(['bankCredit']);
      expect(await conflict(s, [{ type: 'bankCredit', credit: { ...credit, id: 'missing' }, expectedUnreversed: true }])).toEqual(['bankCredit']);
      await s.commit([{ type: 'bankCredit', credit: { ...credit, reversedBy: 'rev-1' }, expectedUnreversed: true }]);
      expect(await conflict(s, [{ type: 'bankCredit', credit: { ...credit, reversedBy: 'rev-2' }, expectedUnreversed: true }])).toEqual(['bankCredit']);
      expect((await s.getBankCredit(credit.id))?.reversedBy).toBe('rev-1');
      await s.commit([{ type: 'bankCredit', credit: { ...credit, id: 'odd', outcome: 'unmatched', note: 'unknown reference', importedAt: '2026-12-01T17:00:00Z' } }]);
      expect((await s.listBankCreditsToReview()).map((c) => c.id)).toEqual(['odd']);
      await s.commit([{ type: 'bankStatement', statement: { id: 'st', fileDigest: 'd', credits: 1, importedAt: '' } }]);
      expect((await s.getBankStatement('st'))?.fileDigest).toBe('d');
    });

    it('lists the pending lifecycle commands of a range of nights, oldest night first, and forgets each once applied', async () => {
      const s = await makeStore();
      const cmd = (id: string, date: string, createdAt: string) => ({ id, date, orgId: 'a', productId: id, action: 'block' as const, status: 'pending' as const, createdAt });
      // Spread over four shards of the DynamoDB store, committed out of order.
      const cmds = [
        cmd('p9#block', '2026-12-03', '2026-12-03T02:00:09Z'),
        cmd('p1#block', '2026-12-01', '2026-12-01T02:00:05Z'),
        cmd('p2#block', '2026-12-03', '2026-12-03T02:00:01Z'),
        cmd('p3#block', '2026-12-05', '2026-12-05T02:00:00Z'),
        cmd('p4#block', '2026-11-30', '2026-11-30T02:00:00Z'),
      ];
      for (const c of cmds) await s.commit([{ type: 'lifecycle', command: c, expectedStatus: null }]);
      await s.commit([{ type: 'lifecycle', command: { ...cmds[1]!, status: 'applied', appliedAt: '2026-12-01T02:01:00Z' }, expectedStatus: 'pending' }]);
      expect(await s.listPendingLifecycle('2026-12-01', '2026-12-03')).toEqual([
        { date: '2026-12-03', createdAt: '2026-12-03T02:00:01Z', id: 'p2#block' },
        { date: '2026-12-03', createdAt: '2026-12-03T02:00:09Z', id: 'p9#block' },
      ]);
      expect((await s.listPendingLifecycle('2026-11-30', '2026-12-05')).map((c) => c.id)).toEqual(['p4#block', 'p2#block', 'p9#block', 'p3#block']);
      expect(await s.listPendingLifecycle('2026-12-06', '2026-12-31')).toEqual([]);
    });

    it('reads stored provider events 100 to a read, leaving out the ones never stored; the reconcile watermark only moves forward', async () => {
      const s = await makeStore();
      const event = (n: number) => ({
        id: `evt_${n}`,
        type: 'payment_intent.succeeded',
        created: n,
        objectId: `pi_${n}`,
        payload: '{}',
        status: 'received' as const,
        receivedAt: '',
        expiresAt: 2,
      });
      // 150 stored (odd ones processed), asked for with 60 that never were and one twice: more than one read's 100 keys.
      for (let i = 0; i < 150; i += 25) {
        await s.commit(
          Array.from({ length: 25 }, (_, k) => ({
            type: 'gatewayEvent' as const,
            event: { ...event(i + k), ...((i + k) % 2 ? { status: 'processed' as const } : {}) },
            expectedStatus: null,
          })),
        );
      }
      const asked = [...Array.from({ length: 210 }, (_, n) => `evt_${n}`), 'evt_7'];
      const found = await s.getGatewayEvents(asked);
      expect(found.map((e) => e.id).sort()).toEqual(Array.from({ length: 150 }, (_, n) => `evt_${n}`).sort());
      expect(found.find((e) => e.id === 'evt_7')?.status).toBe('processed');
      expect(await s.getGatewayEvents([])).toEqual([]);

      expect(await s.getReconcileWatermark()).toBeUndefined();
      await s.putReconcileWatermark(1_900_000_100);
      await s.putReconcileWatermark(1_900_000_050);
      expect(await s.getReconcileWatermark()).toBe(1_900_000_100);
      await s.putReconcileWatermark(1_900_000_200);
      expect(await s.getReconcileWatermark()).toBe(1_900_000_200);
    });

    it('keeps the status conditions of events, lifecycle commands and export jobs', async () => {
      const s = await makeStore();
      const event = { id: 'evt_1', type: 'payment_intent.succeeded', created: 1, objectId: 'pi_1', payload: '{}', status: 'received' as const, receivedAt: '', expiresAt: 2 };
      await s.commit([{ type: 'gatewayEvent', event, expectedStatus: null }]);
      expect(await conflict(s, [{ type: 'gatewayEvent', event, expectedStatus: null }])).toEqual(['gatewayEvent']);
      await s.commit([{ type: 'gatewayEvent', event: { ...event, status: 'processed' }, expectedStatus: 'received' }]);
      expect(await conflict(s, [{ type: 'gatewayEvent', event: { ...event, status: 'processed' }, expectedStatus: 'received' }])).toEqual(['gatewayEvent']);
      const command = { id: 'block-p', date: '2026-12-31', orgId: 'a', productId: 'p', action: 'block' as const, status: 'pending' as const, createdAt: '' };
      await s.commit([{ type: 'lifecycle', command, expectedStatus: null }]);
      await s.commit([{ type: 'lifecycle', command: { ...command, status: 'applied' }, expectedStatus: 'pending' }]);
      expect(await conflict(s, [{ type: 'lifecycle', command: { ...command, status: 'applied' }, expectedStatus: 'pending' }])).toEqual(['lifecycle']);
      expect((await s.listLifecycleCommands('2026-12-31')).map((c) => c.status)).toEqual(['applied']);
      const job = {
        id: 'x1',
        requestedBy: 'u',
        params: { from: '2026-12-01', to: '2026-12-31', lines: false, pdf: false },
        status: 'running' as const,
        createdAt: '',
        leaseUntil: 'L1',
      };
      await s.commit([{ type: 'exportJob', job, expectedStatus: null }]);
      expect(await conflict(s, [{ type: 'exportJob', job: { ...job, leaseUntil: 'L2' }, expectedStatus: 'running', expectedLease: 'L0' }])).toEqual(['exportJob']);
      await s.commit([{ type: 'exportJob', job: { ...job, leaseUntil: 'L2' }, expectedStatus: 'running', expectedLease: 'L1' }]);
      expect((await s.getExportJob('x1'))?.leaseUntil).toBe('L2');
    });

    it('keeps a customer reference once set, and partner links, members and methods', async () => {
      const s = await makeStore();
      await s.commit([
        { type: 'organisation', org: org('a'), isNew: true },
        { type: 'organisation', org: org('p'), isNew: true },
      ]);
      expect(await conflict(s, [{ type: 'customerRef', orgId: 'missing', ref: 'cus_1' }])).toEqual(['customerRef']);
      await s.commit([{ type: 'customerRef', orgId: 'a', ref: 'cus_1' }]);
      await s.commit([{ type: 'customerRef', orgId: 'a', ref: 'cus_1' }]);
      expect(await conflict(s, [{ type: 'customerRef', orgId: 'a', ref: 'cus_2' }])).toEqual(['customerRef']);
      await s.commit([{ type: 'partnerProfile', orgId: 'p', partner: { discountPercent: '20' } }]);
      await s.commit([{ type: 'partnerLink', orgId: 'a', partnerId: 'p', billToPartner: true }]);
      expect(await s.getOrganisation('a')).toMatchObject({ gatewayCustomerRef: 'cus_1', partnerId: 'p', billToPartner: true });
      expect(await s.listPartnerClients('p')).toEqual(['a']);
      await s.commit([{ type: 'identityCheck', orgId: 'a', state: 'required' }]);
      expect((await s.getOrganisation('a'))?.identityCheck).toBe('required');
      const member = (userId: string) => ({ orgId: 'a', userId, email: `${userId}@a.ch`, name: userId, role: 'administrator' as const, billingRights: true, productIds: [] });
      await s.commit([
        { type: 'member', member: member('zed') },
        { type: 'member', member: member('amy') },
      ]);
      expect((await s.listMembers('a')).map((m) => m.userId)).toEqual(['amy', 'zed']);
      await s.commit([{ type: 'organisation', org: org('b'), isNew: true }]);
      await s.commit([{ type: 'member', member: { ...member('amy'), orgId: 'b', role: 'collaborator' as const } }]);
      expect(await s.listMembershipsOf('amy')).toEqual(['a', 'b']);
      expect(await s.listMembershipsOf('zed')).toEqual(['a']);
      expect(await s.listMembershipsOf('nobody')).toEqual([]);
      expect((await s.getMember('a', 'amy'))?.email).toBe('amy@a.ch');
      const method = { id: 'pm-pm_card_visa', orgId: 'a', kind: 'card' as const, label: 'Visa', gatewayRef: 'pm_card_visa', createdAt: '' };
      await s.commit([{ type: 'paymentMethod', method }]);
      expect((await s.findPaymentMethodByRef('pm_card_visa'))?.id).toBe('pm-pm_card_visa');
      expect(await s.findPaymentMethodByRef('pm_other')).toBeUndefined();
      expect((await s.listPaymentMethods('a')).map((m) => m.id)).toEqual(['pm-pm_card_visa']);
    });

    it('gives copies: what a caller changes is not what the store holds', async () => {
      const s = await makeStore();
      const a = org('a');
      await s.commit([{ type: 'organisation', org: a, isNew: true }]);
      a.balance = '1000.00';
      const read = (await s.getOrganisation('a'))!;
      read.balance = '999.00';
      expect((await s.getOrganisation('a'))?.balance).toBe('0.00');
      // Fields left undefined are not stored.
      await s.commit([{ type: 'product', product: { ...product('a', 'p'), paymentMethodId: undefined }, expectedVersion: null }]);
      expect('paymentMethodId' in (await s.getProduct('a', 'p'))!).toBe(false);
    });

    it('keeps the nights run, the last one first to hand', async () => {
      const s = await makeStore();
      expect(await s.lastNightRun()).toBeUndefined();
      await s.putNightRun({ date: '2026-12-17', coveredDates: ['2026-12-17'], planned: 3, startedAt: '' });
      await s.putNightRun({ date: '2026-12-16', coveredDates: ['2026-12-16'], planned: 1, startedAt: '' });
      expect((await s.lastNightRun())?.date).toBe('2026-12-17');
      expect((await s.listNightRuns()).map((n) => n.date)).toEqual(['2026-12-16', '2026-12-17']);
      // The same outcome twice: the second write of a product's night is refused.
      const outcome = {
        night: '2026-12-17',
        orgId: 'a',
        productId: 'p',
        currency: 'CHF' as const,
        reminders: 0,
        attempted: true,
        paid: true,
        failed: false,
        collected: '14.05',
        blocked: false,
        unblocked: false,
        terminated: false,
      };
      await s.commit([{ type: 'outcome', outcome }]);
      expect(await conflict(s, [{ type: 'outcome', outcome: { ...outcome } }])).toEqual(['outcome']);
      expect((await s.listNightOutcomes('2026-12-17')).map((o) => o.productId)).toEqual(['p']);
    });

    it('keeps the CHF rates of a currency by period, a later import of a period replacing it', async () => {
      const s = await makeStore();
      expect(await s.listExchangeRates('EUR')).toEqual([]);
      await s.commit([
        { type: 'exchangeRate', rate: { currency: 'EUR', period: '2027-01', chf: '0.9412' } },
        { type: 'exchangeRate', rate: { currency: 'EUR', period: '2027-01-15', chf: '0.95' } },
      ]);
      await s.commit([{ type: 'exchangeRate', rate: { currency: 'EUR', period: '2027-01', chf: '0.9401' } }]);
      const byPeriod = (rates: { period: string }[]) => [...rates].sort((a, b) => (a.period < b.period ? -1 : 1));
      expect(byPeriod(await s.listExchangeRates('EUR'))).toEqual([
        { currency: 'EUR', period: '2027-01', chf: '0.9401' },
        { currency: 'EUR', period: '2027-01-15', chf: '0.95' },
      ]);
    });

    it("gives a day's rate before its month's, the month's on other days, none for a month not imported", async () => {
      const s = await makeStore();
      expect(await s.exchangeRateOn('EUR', '2027-01-15')).toBeUndefined();
      await s.commit([
        { type: 'exchangeRate', rate: { currency: 'EUR', period: '2027-01', chf: '0.9412' } },
        { type: 'exchangeRate', rate: { currency: 'EUR', period: '2027-01-15', chf: '0.95' } },
      ]);
      // Asked again after the import: a process that had found nothing sees the rate now.
      expect(await s.exchangeRateOn('EUR', '2027-01-15')).toEqual({ currency: 'EUR', period: '2027-01-15', chf: '0.95' });
      expect(await s.exchangeRateOn('EUR', '2027-01-16')).toEqual({ currency: 'EUR', period: '2027-01', chf: '0.9412' });
      expect(await s.exchangeRateOn('EUR', '2027-02-01')).toBeUndefined();
    });

    it('lets one sender at a time take an e-mail, marks it sent for good, and keeps each bounce once', async () => {
      const s = await makeStore();
      const email = {
        id: 'p#renewal-paid',
        date: '2026-12-01',
        orgId: 'a',
        to: ['x@y.ch'],
        template: 'renewal-paid' as const,
        data: { amount: '1.00' },
        createdAt: '2026-12-01T02:00:00Z',
      };
      const at = (t: string) => `2026-12-01T${t}Z`;
      expect(await s.claimEmail('2026-12-01', 'nothing', { token: 't0', now: at('02:00:00'), until: at('02:02:00') })).toEqual({ status: 'missing' });
      await s.commit([{ type: 'email', email }]);
      const first = await s.claimEmail('2026-12-01', email.id, { token: 't1', now: at('02:00:00'), until: at('02:02:00') });
      expect(first).toEqual({ status: 'claimed', email: { ...email, claimToken: 't1', claimUntil: at('02:02:00') } });
      expect((await s.claimEmail('2026-12-01', email.id, { token: 't2', now: at('02:01:59'), until: at('02:03:59') })).status).toBe('busy');
      // A failure ends the claim and is counted; the next claim may come at once.
      expect(await s.finishEmail('2026-12-01', email.id, 't2', { sent: false, error: 'not mine' })).toBe(false);
      expect(await s.finishEmail('2026-12-01', email.id, 't1', { sent: false, error: 'throttled' })).toBe(true);
      expect(await s.getEmail('2026-12-01', email.id)).toEqual({ ...email, failedAttempts: 1, lastError: 'throttled' });
      expect((await s.claimEmail('2026-12-01', email.id, { token: 't3', now: at('02:00:30'), until: at('02:02:30') })).status).toBe('claimed');
      // A claim that ran out is taken over; the old token no longer finishes anything.
      expect((await s.claimEmail('2026-12-01', email.id, { token: 't4', now: at('02:05:00'), until: at('02:07:00') })).status).toBe('claimed');
      expect(await s.finishEmail('2026-12-01', email.id, 't3', { sent: true, at: at('02:05:01'), ref: 'late' })).toBe(false);
      expect(await s.finishEmail('2026-12-01', email.id, 't4', { sent: true, at: at('02:05:01'), ref: 'msg-1' })).toBe(true);
      const sent = { ...email, failedAttempts: 1, sentAt: at('02:05:01'), sentRef: 'msg-1' };
      expect(await s.getEmail('2026-12-01', email.id)).toEqual(sent);
      expect(await s.claimEmail('2026-12-01', email.id, { token: 't5', now: at('03:00:00'), until: at('03:02:00') })).toEqual({ status: 'sent', email: sent });

      const bounce = { id: 'fb-1', type: 'bounce' as const, subType: 'Permanent/General', recipients: ['x@y.ch'], at: at('02:06:00') };
      expect(await s.recordEmailFeedback('2026-12-01', email.id, bounce)).toBe(true);
      expect(await s.recordEmailFeedback('2026-12-01', email.id, bounce)).toBe(false);
      const complaint = { id: 'fb-2', type: 'complaint' as const, recipients: ['x@y.ch'], at: at('09:00:00') };
      expect(await s.recordEmailFeedback('2026-12-01', email.id, complaint)).toBe(true);
      expect(await s.recordEmailFeedback('2026-12-01', 'nothing', complaint)).toBe(false);
      expect(await s.getEmail('2026-12-01', email.id)).toEqual({ ...sent, feedback: [bounce, complaint] });
      expect(await s.listOutbox('2026-12-01')).toEqual([{ ...sent, feedback: [bounce, complaint] }]);
    });
  });
}
