import { describe, expect, it } from 'vitest';
import { noPeriodPaidTwice, noTerminatedProductPaid, type Books } from '../../../bench/chaos/invariants.ts';
import type { Invoice } from '../../../shared/domain/invoice.ts';
import type { Product } from '../../../shared/domain/product.ts';

// The chaos invariants judge books written by hand here: a harness that cries wolf hides the real alarms.
const product = (expiry: string, status: Product['status'] = 'active') => ({ id: 'p1', orgId: 'o1', expiry, status }) as Product;
const invoice = (number: string, from: string, to: string, extra: Partial<Invoice> = {}) =>
  ({
    number,
    series: 'INV',
    orgId: 'o1',
    status: 'paid',
    issueDate: from,
    lines: [{ productId: 'p1', periodFrom: from, periodTo: to }],
    payments: [],
    ...extra,
  }) as unknown as Invoice;
const books = (p: Product, invoices: Invoice[]): Books =>
  ({
    today: '2026-12-20',
    products: [p],
    invoices,
    checkouts: [],
    outcomes: [],
    provisioning: [],
    lifecycle: [],
    initialExpiry: new Map([['p1', '2026-11-11']]),
  }) as unknown as Books;

describe('invariant 1: each period paid once, the expiry tiled by invoices', () => {
  it('keeps a period the bank took back but the product kept, because a later period was bought on top of it', () => {
    const reopened = invoice('INV-1', '2026-11-11', '2026-12-11', { status: 'open', reopenedBy: 'bank-1', amountDue: '14.05' });
    const r = noPeriodPaidTwice(books(product('2027-01-11'), [reopened, invoice('INV-2', '2026-12-11', '2027-01-11')]));
    expect(r.violations).toEqual([]);
  });

  it('drops a period the bank took back when the product went back to its start', () => {
    const reopened = invoice('INV-1', '2026-11-11', '2026-12-11', { status: 'open', reopenedBy: 'bank-1', amountDue: '14.05' });
    expect(noPeriodPaidTwice(books(product('2026-11-11'), [reopened])).violations).toEqual([]);
  });

  it('counts nothing for an order refunded at the provider while it was held for an identity check', () => {
    const held = invoice('INV-1', '2026-11-11', '2026-12-11', { checkoutId: 'co-held' });
    const b = {
      ...books(product('2026-12-11'), [held, invoice('INV-2', '2026-11-11', '2026-12-11')]),
      checkouts: [{ id: 'co-held', status: 'refunded', heldSince: '2026-11-05' }],
    } as unknown as Books;
    expect(noPeriodPaidTwice(b).violations).toEqual([]);
  });

  it('still reports a gap, and a period bought twice', () => {
    expect(noPeriodPaidTwice(books(product('2027-01-11'), [invoice('INV-2', '2026-12-11', '2027-01-11')])).violations).toHaveLength(1);
    const twice = noPeriodPaidTwice(books(product('2026-12-11'), [invoice('INV-1', '2026-11-11', '2026-12-11'), invoice('INV-2', '2026-11-11', '2026-12-11')]));
    expect(twice.violations.some((v) => v.includes('invoiced 2 times'))).toBe(true);
  });
});

describe('invariant 6: nothing paid past a termination', () => {
  it('does not count an owed period as a paid one', () => {
    const reopened = invoice('INV-1', '2026-11-11', '2026-12-11', { status: 'open', reopenedBy: 'bank-1', amountDue: '14.05' });
    const b = {
      ...books(product('2026-11-11', 'terminated'), [reopened]),
      outcomes: [{ productId: 'p1', night: '2026-12-15', terminated: true }],
      provisioning: [{ action: 'terminate', productId: 'p1' }],
    } as unknown as Books;
    expect(noTerminatedProductPaid(b).violations).toEqual([]);
  });
});
