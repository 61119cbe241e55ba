import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { businessEventJsonSchema } from '../../../shared/adapters/events/event-schema.ts';
import type { Change } from '../../../shared/ports/unit-of-work.ts';
import { businessEventsOf } from '../../../shared/use-cases/events/business-events-of.ts';
import { commitTimeOf, withBusinessEvents } from '../../../shared/use-cases/events/with-business-events.ts';

const NOW = '2026-12-17T02:00:00.000Z';
const line = (productId: string, periodFrom: string, periodTo: string, gross: string) => ({
  description: `${productId}.ch`,
  productId,
  periodFrom,
  periodTo,
  unitPrice: '13.00',
  quantity: 1,
  net: '13.00',
  vatRate: '8.1',
  vat: '1.05',
  gross,
});
const invoice = (series: 'INV' | 'PRO' | 'CN', number: string, lines = [line('p1', '2026-12-31', '2027-12-30', '14.05')]) =>
  ({
    type: 'invoice',
    invoice: { number, series, orgId: 'acme', issueDate: '2026-12-17', currency: 'CHF', lines, totalNet: '13.00', totalVat: '1.05', total: '14.05' },
  }) as unknown as Change;
const command = (action: 'block' | 'unblock' | 'terminate', over: Record<string, unknown> = {}) =>
  ({
    type: 'lifecycle',
    command: {
      id: `p1#${action}`,
      date: '2026-12-20',
      orgId: 'acme',
      productId: 'p1',
      action,
      status: 'applied',
      appliedAt: '2026-12-20T02:05:00.000Z',
      createdAt: '2026-12-20T02:00:00.000Z',
      ...over,
    },
    expectedStatus: 'pending',
  }) as unknown as Change;

const envelope = { specversion: '1.0', source: 'billing-engine', datacontenttype: 'application/json' };

describe('the events of a commit', () => {
  it('says a final invoice was issued and each product it bought a period for was renewed', () => {
    expect(businessEventsOf([invoice('INV', 'INV-CH-2026-000001')], NOW)).toEqual([
      {
        ...envelope,
        id: 'invoice.issued:INV-CH-2026-000001',
        type: 'billing.invoice.issued.v1',
        subject: 'orgs/acme/invoices/INV-CH-2026-000001',
        time: NOW,
        data: {
          orgId: 'acme',
          number: 'INV-CH-2026-000001',
          series: 'INV',
          issueDate: '2026-12-17',
          currency: 'CHF',
          totalNet: '13.00',
          totalVat: '1.05',
          total: '14.05',
          productIds: ['p1'],
        },
      },
      {
        ...envelope,
        id: 'product.renewed:INV-CH-2026-000001/p1/2026-12-31',
        type: 'billing.product.renewed.v1',
        subject: 'orgs/acme/products/p1',
        time: NOW,
        data: { orgId: 'acme', productId: 'p1', periodFrom: '2026-12-31', periodTo: '2027-12-30', invoiceNumber: 'INV-CH-2026-000001', currency: 'CHF', gross: '14.05' },
      },
    ]);
  });

  it('renews nothing on a pro-forma or a credit note: only the document is issued', () => {
    const types = (c: Change) => businessEventsOf([c], NOW).map((e) => e.type);
    expect(types(invoice('PRO', 'PRO-CH-2026-000001'))).toEqual(['billing.invoice.issued.v1']);
    expect(types(invoice('CN', 'CN-CH-2026-000001'))).toEqual(['billing.invoice.issued.v1']);
  });

  it('tells provisioning of an applied block, unblock and termination, with whether backups are gone, and of nothing skipped or pending', () => {
    const subjectAndData = (changes: Change[]) => businessEventsOf(changes, NOW).map((e) => [e.type, e.time, e.data]);
    expect(subjectAndData([command('block')])).toEqual([['billing.product.blocked.v1', '2026-12-20T02:05:00.000Z', { orgId: 'acme', productId: 'p1', date: '2026-12-20' }]]);
    expect(subjectAndData([command('unblock')])).toEqual([['billing.product.unblocked.v1', '2026-12-20T02:05:00.000Z', { orgId: 'acme', productId: 'p1', date: '2026-12-20' }]]);
    const deleted = { type: 'product', product: { id: 'p1', orgId: 'acme', backupsDeletedAt: '2026-12-20T02:05:00.000Z' }, expectedVersion: 3 } as unknown as Change;
    expect(subjectAndData([command('terminate'), deleted])).toEqual([
      ['billing.product.terminated.v1', '2026-12-20T02:05:00.000Z', { orgId: 'acme', productId: 'p1', date: '2026-12-20', backupsDeleted: true }],
    ]);
    expect(subjectAndData([command('terminate')])[0]![2]).toMatchObject({ backupsDeleted: false });
    // Said by provisioning on the command, though the product recorded its deletion on an earlier try.
    expect(subjectAndData([command('terminate', { backupsDeleted: true })])[0]![2]).toMatchObject({ backupsDeleted: true });
    expect(subjectAndData([command('block', { skipped: 'product is active' })])).toEqual([]);
    expect(subjectAndData([command('block', { status: 'pending', appliedAt: undefined })])).toEqual([]);
  });

  it('says a renewal charge failed, with the decline code, once per attempt', () => {
    const attempt = (status: string) =>
      ({
        type: 'attempt',
        attempt: {
          id: 'acme/p1/2026-12-31/2',
          orgId: 'acme',
          productId: 'p1',
          night: '2026-12-20',
          attempt: 2,
          currency: 'CHF',
          total: '14.05',
          balancePart: '4.05',
          chargePart: '10.00',
          status,
          failureCode: 'card_declined',
          createdAt: NOW,
        },
        expectedStatus: 'pending',
      }) as unknown as Change;
    expect(businessEventsOf([attempt('failed')], NOW).map((e) => e.data)).toEqual([
      { orgId: 'acme', productId: 'p1', attemptId: 'acme/p1/2026-12-31/2', night: '2026-12-20', attempt: 2, currency: 'CHF', amount: '10.00', reason: 'card_declined' },
    ]);
    expect(businessEventsOf([attempt('succeeded')], NOW)).toEqual([]);
    expect(businessEventsOf([attempt('pending')], NOW)).toEqual([]);
  });

  it('says a checkout was paid when it turns paid, not when a paid one is written again', () => {
    const checkout = (from: string | null) =>
      ({
        type: 'checkout',
        checkout: {
          id: 'co-1',
          orgId: 'acme',
          purpose: 'renewal',
          method: 'card',
          currency: 'CHF',
          total: '28.10',
          items: [{ productId: 'p1' }, { productId: 'p2' }],
          status: 'paid',
          settledAt: NOW,
          invoiceNumber: 'INV-CH-2026-000004',
        },
        expected: from ? { version: 2, status: from } : null,
      }) as unknown as Change;
    expect(businessEventsOf([checkout('awaiting_payment')], NOW).map((e) => [e.id, e.data])).toEqual([
      [
        'checkout.paid:acme/co-1',
        { orgId: 'acme', checkoutId: 'co-1', purpose: 'renewal', method: 'card', currency: 'CHF', total: '28.10', productIds: ['p1', 'p2'], invoiceNumber: 'INV-CH-2026-000004' },
      ],
    ]);
    expect(businessEventsOf([checkout('paid')], NOW)).toEqual([]);
  });

  it('is what the published JSON Schema (docs/events.schema.json) describes, checked by a validator of its own', () => {
    const published = JSON.parse(readFileSync('docs/events.schema.json', 'utf8')) as Record<string, unknown>;
    expect(published).toEqual(businessEventJsonSchema());
    const validate = new Ajv2020({ allErrors: true, strict: false, validateFormats: false }).compile(published);
    const all = businessEventsOf([invoice('INV', 'INV-CH-2026-000001'), command('block'), command('terminate')], NOW);
    for (const e of all) expect(validate(e), JSON.stringify(validate.errors)).toBe(true);
    // Not a no-op: a float amount, a wrong version and an unknown field are refused.
    expect(validate({ ...all[0], data: { ...all[0]!.data, total: 14.05 } })).toBe(false);
    expect(validate({ ...all[0], type: 'billing.invoice.issued.v2' })).toBe(false);
    expect(validate({ ...all[0], extra: true })).toBe(false);
  });
});

describe('a store whose commits carry their events', () => {
  it('adds one events item to a commit with facts, dated by the commit, and none to a commit without', async () => {
    const commits: Change[][] = [];
    const store = withBusinessEvents({ commit: async (changes: Change[]) => void commits.push(changes), other: () => 'untouched' });
    await store.commit([command('block')]);
    await store.commit([{ type: 'member', member: { orgId: 'acme', userId: 'u' } } as unknown as Change]);
    expect(commits[0]!.at(-1)).toMatchObject({ type: 'events', record: { date: '2026-12-20', id: 'product.blocked:2026-12-20/p1#block', createdAt: '2026-12-20T02:05:00.000Z' } });
    expect(commits[1]!.map((c) => c.type)).toEqual(['member']);
    expect(store.other()).toBe('untouched');
  });

  it('takes the commit time from the latest instant its records carry', () => {
    const email = { type: 'email', email: { createdAt: '2026-12-17T02:00:03.000Z' } } as unknown as Change;
    const entry = { type: 'balance', entry: { createdAt: '2026-12-17T02:00:01.000Z' } } as unknown as Change;
    expect(commitTimeOf([entry, email, invoice('INV', 'X')])).toBe('2026-12-17T02:00:03.000Z');
    expect(commitTimeOf([invoice('INV', 'X')])).toBeUndefined();
  });

  it('keeps a commit assigned over it (fault injection) in front of its own, events still added', async () => {
    const commits: Change[][] = [];
    const store = withBusinessEvents({ commit: async (changes: Change[]) => void commits.push(changes) });
    const own = store.commit.bind(store);
    let seen = 0;
    store.commit = async (changes) => {
      seen++;
      return own(changes);
    };
    await store.commit([command('unblock')]);
    expect([seen, commits[0]!.map((c) => c.type)]).toEqual([1, ['lifecycle', 'events']]);
  });
});
