import { describe, expect, it } from 'vitest';
import type { Invoice } from '../../../shared/domain/invoice.ts';
import { WriteConflict, type BillingStore, type Change } from '../../../shared/ports/billing-store.ts';
import { commitNumbered } from '../../../shared/use-cases/numbering.ts';

const invoice = { number: 'INV-CH-2026-000004', series: 'INV', sellerId: 'ch', year: 2026, sequence: 4 } as Invoice;

function changes(): Change[] {
  return [
    { type: 'invoice', invoice },
    { type: 'payment', payment: { id: 'pi_1', orgId: 'o', date: '2026-12-17', method: 'card', amount: '9.05', currency: 'CHF', gatewayRef: 'pi_1', invoiceNumber: invoice.number, createdAt: '' } },
    { type: 'balance', orgId: 'o', from: '5.00', to: '0.00', entry: { id: 'e', orgId: 'o', date: '2026-12-17', amount: '-5.00', currency: 'CHF', reason: 'renewal', ref: invoice.number, balanceAfter: '0.00', createdAt: '' } },
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
    expect(final.map((c) => (c.type === 'invoice' ? c.invoice.number : c.type === 'payment' ? c.payment.invoiceNumber : c.type === 'balance' ? c.entry.ref : c.type === 'email' ? c.email.data.invoice : ''))).toEqual(
      Array(4).fill('INV-CH-2026-000006'),
    );
    expect((final[0] as Extract<Change, { type: 'invoice' }>).invoice.sequence).toBe(6);
  });

  it('rethrows any other conflict for the whole unit of work to be retried', async () => {
    const { store, commits } = racingStore(1, ['invoice', 'product']);
    await expect(commitNumbered(store, changes())).rejects.toBeInstanceOf(WriteConflict);
    expect(commits).toHaveLength(1);
  });
});
