import { describe, expect, it } from 'vitest';
import { runNight } from '../../functions/local-runtime.ts';
import type { IsoDate } from '../../shared/domain/calendar.ts';
import { setMember } from '../../shared/use-cases/manage-organisation.ts';
import type { HttpAnswer, HttpStack } from '../support/http-client.ts';
import { expectError, useHttpStacks } from '../support/http-stacks.ts';
import { aProduct, anOrg, useDynamoDbLocal } from '../support/local-stack.ts';

/**
 * docs/domain.md R-35 through the local HTTP API: a termination request
 * sends a single-use link by e-mail; without it nothing changes; with it the
 * product stops renewing and the night of its date terminates it (backups
 * deleted for good), the administrators told. The link is read from the
 * e-mail as the customer would, never from the product. Dates by hand:
 * requested on 2026-12-10 at 02:00 (the test clock's instant), the link is
 * valid 72 hours, to 2026-12-13T02:00; a product expiring 2026-12-30 is
 * first charged on 2026-12-16 (14 days before).
 */
const db = useDynamoDbLocal();
const stack = useHttpStacks(db.endpoint);

/** acme with a card, its owner, an administrator and a collaborator with billing rights; `site` renews automatically. */
async function acme(s: HttpStack) {
  const { method } = await anOrg(s.rt, { id: 'acme', method: 'pm_card_visa' });
  await setMember(s.rt.deps, { kind: 'system' }, 'acme', {
    userId: 'admin-acme',
    email: 'admin@acme.ch',
    name: 'Ada Admin',
    role: 'administrator',
    billingRights: true,
    productIds: [],
  });
  await setMember(s.rt.deps, { kind: 'system' }, 'acme', { userId: 'colla', email: 'c@acme.ch', name: 'C', role: 'collaborator', billingRights: true, productIds: ['site'] });
  await aProduct(s.rt, 'acme', { id: 'site', expiry: '2026-12-30', autoRenew: true, paymentMethodId: method!.id });
  await aProduct(s.rt, 'acme', { id: 'other', expiry: '2026-12-30', autoRenew: false });
  return { owner: await s.tokenFor('owner-acme'), admin: await s.tokenFor('admin-acme'), colla: await s.tokenFor('colla') };
}

/** The link of a request's confirmation e-mail, as the mailbox shows it. */
async function linkOf(s: HttpStack, day: IsoDate, asked: HttpAnswer) {
  const mails = (await s.rt.store.listOutbox(day)).filter((m) => m.template === 'termination-confirm' && m.data.requestId === asked.json.requestId);
  expect(mails).toHaveLength(1);
  const mail = mails[0]!;
  return { to: mail.to, requestId: mail.data.requestId!, token: mail.data.token! };
}
/** What the portal's page posts from the link. */
const fromLink = (link: { requestId: string; token: string }) => ({ requestId: link.requestId, token: link.token });

const confirm = (s: HttpStack, productId: string, body: unknown) => s.call('POST', `/v1/orgs/acme/products/${productId}/termination/confirm`, { body });

describe('terminating a product (R-35) over HTTP', () => {
  it('asks for a date in the window and a legal owner or administrator, and changes nothing without the confirmation', async () => {
    const s = await stack('2026-12-10');
    const { owner, colla } = await acme(s);
    const before = await s.rt.store.getProduct('acme', 'other');

    expectError(await s.call('POST', '/v1/orgs/acme/products/other/termination', { token: colla, body: {} }), 403, 'forbidden');
    expectError(await s.call('POST', '/v1/orgs/acme/products/other/termination', { token: owner, body: { date: '2026-12-10' } }), 400, 'termination_date_out_of_range');
    expectError(await s.call('POST', '/v1/orgs/acme/products/other/termination', { token: owner, body: { date: '2026-12-31' } }), 400, 'termination_date_out_of_range');
    expectError(await s.call('POST', '/v1/orgs/acme/products/other/termination', { token: owner, body: { date: '31.12.2026' } }), 400, 'invalid_input');
    expectError(await s.call('POST', '/v1/orgs/acme/products/nothing/termination', { token: owner, body: {} }), 404, 'product_not_found');
    expectError(await s.call('POST', '/v1/orgs/other-org/products/other/termination', { token: owner, body: {} }), 403, 'forbidden');

    const asked = await s.call('POST', '/v1/orgs/acme/products/other/termination', { token: owner, body: { date: '2026-12-12' } });
    expect(asked.status, asked.text).toBe(201);
    expect(asked.json).toEqual({
      productId: 'other',
      requestId: expect.any(String),
      status: 'pending',
      date: '2026-12-12',
      requestedAt: '2026-12-10T02:00:00.000Z',
      expiresAt: '2026-12-13T02:00:00.000Z',
    });
    // The answer never carries the link: it goes to the requester's mailbox only.
    expect(asked.text).not.toMatch(/token/i);
    const link = await linkOf(s, '2026-12-10', asked);
    expect(link.to).toEqual(['owner@acme.ch']);
    expect(link.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(link.requestId).toBe(asked.json.requestId);

    // No confirmation: the nights of the chosen date and after leave the product as it was.
    const { version: _v, ...unchanged } = before!;
    for (const night of ['2026-12-12', '2026-12-13'] as const) {
      s.clock.day = night;
      await runNight(s.rt, night);
      expect((await s.rt.store.listLifecycleCommands(night)).filter((c) => c.productId === 'other')).toEqual([]);
    }
    const after = await s.rt.store.getProduct('acme', 'other');
    expect(after).toMatchObject({ ...unchanged, status: 'active', expiry: '2026-12-30' });
    expect(after!.backupsDeletedAt).toBeUndefined();

    // Past 72 hours the link is refused, and still nothing changes.
    s.clock.day = '2026-12-14';
    expectError(await confirm(s, 'other', { requestId: link.requestId, token: link.token }), 422, 'termination_link_expired');
    expect((await s.rt.store.getProduct('acme', 'other'))!.termination!.confirmedAt).toBeUndefined();
  });

  it('confirms once through the link, stops the renewals, terminates on its night and tells the administrators', async () => {
    const s = await stack('2026-12-10');
    const { owner, admin } = await acme(s);

    // A first request is replaced by a second: only the newer link works.
    const first = await s.call('POST', '/v1/orgs/acme/products/site/termination', { token: admin, body: {} });
    expect(first.json).toMatchObject({ status: 'pending', date: '2026-12-30' });
    const old = await linkOf(s, '2026-12-10', first);
    expect(old.to).toEqual(['admin@acme.ch']);
    const asked = await s.call('POST', '/v1/orgs/acme/products/site/termination', { token: owner, body: { date: '2026-12-20' } });
    expect(asked.json).toMatchObject({ status: 'pending', date: '2026-12-20' });
    const link = await linkOf(s, '2026-12-10', asked);
    expect(link.requestId).not.toBe(old.requestId);

    const version = (await s.rt.store.getProduct('acme', 'site'))!.version;
    expectError(await confirm(s, 'site', fromLink(old)), 400, 'termination_link_invalid');
    const forged = (link.token[0] === 'A' ? 'B' : 'A') + link.token.slice(1);
    expectError(await confirm(s, 'site', { requestId: link.requestId, token: forged }), 400, 'termination_link_invalid');
    expectError(await confirm(s, 'nothing', { requestId: link.requestId, token: link.token }), 400, 'termination_link_invalid');
    expectError(await confirm(s, 'site', { requestId: link.requestId }), 400, 'invalid_input');
    expect((await s.rt.store.getProduct('acme', 'site'))!.version).toBe(version);

    // Two clicks at once: one confirms, the other finds the link used.
    const clicks = await Promise.all([confirm(s, 'site', fromLink(link)), confirm(s, 'site', fromLink(link))]);
    expect(clicks.map((c) => c.status).sort()).toEqual([200, 409]);
    const done = clicks.find((c) => c.status === 200)!;
    expect(done.json).toEqual({
      productId: 'site',
      requestId: link.requestId,
      status: 'confirmed',
      date: '2026-12-20',
      requestedAt: '2026-12-10T02:00:00.000Z',
      confirmedAt: '2026-12-10T02:00:00.000Z',
    });
    expect((clicks.find((c) => c.status === 409)!.json.error as { code: string }).code).toBe('termination_link_used');
    const told = (await s.rt.store.listOutbox('2026-12-10')).filter((m) => m.template === 'termination-confirmed');
    expect(told).toHaveLength(1);
    expect([...told[0]!.to].sort()).toEqual(['admin@acme.ch', 'owner@acme.ch']);
    expect(told[0]!.data).toMatchObject({ terminationDate: '2026-12-20', requestedBy: 'Owner' });

    // No longer renewed: not selectable, not payable, auto-renew off and refused on.
    expect((await s.rt.store.getProduct('acme', 'site'))!.autoRenew).toBe(false);
    const selectable = await s.call('GET', '/v1/orgs/acme/products?due=all', { token: owner });
    expect((selectable.json.products as { id: string }[]).map((p) => p.id)).toEqual(['other']);
    const pay = await s.call('POST', '/v1/orgs/acme/checkout', {
      token: owner,
      headers: { 'idempotency-key': 'term-pay-0001' },
      body: { items: [{ productId: 'site' }], method: 'card' },
    });
    expectError(pay, 422, 'termination_confirmed');
    expectError(await s.call('PUT', '/v1/orgs/acme/products/site/auto-renew', { token: owner, body: { on: true } }), 422, 'termination_confirmed');
    expectError(await s.call('POST', '/v1/orgs/acme/products/site/termination', { token: owner, body: {} }), 409, 'termination_confirmed');

    // The night that would have charged the card charges nothing; the night of 2026-12-20 terminates.
    const intents = () => (s.sandbox as unknown as { intents: Map<string, unknown> }).intents.size;
    const charged = intents();
    for (const night of ['2026-12-16', '2026-12-19'] as const) {
      s.clock.day = night;
      await runNight(s.rt, night);
    }
    expect(intents()).toBe(charged);
    expect(await s.rt.store.listAttempts('acme', 'site')).toEqual([]);
    expect((await s.rt.store.getProduct('acme', 'site'))!.status).toBe('active');
    s.clock.day = '2026-12-20';
    const night = await runNight(s.rt, '2026-12-20');
    expect(night.terminated).toBe(1);
    const gone = (await s.rt.store.getProduct('acme', 'site'))!;
    expect(gone.status).toBe('terminated');
    expect(gone.expiry).toBe('2026-12-30');
    expect(gone.backupsDeletedAt).toBeDefined();
    expect((await s.rt.store.listLifecycleCommands('2026-12-20')).map((c) => [c.productId, c.action, c.status])).toEqual([['site', 'terminate', 'applied']]);
    expect((await s.rt.store.listOutbox('2026-12-20')).map((m) => m.template)).toContain('product-terminated');
    expectError(await s.call('DELETE', '/v1/orgs/acme/products/site/termination', { token: owner }), 409, 'product_terminated');
  });

  it('lets an administrator withdraw a confirmed termination before its night, and refuses one while a payment is open', async () => {
    const s = await stack('2026-12-10');
    const { owner, admin } = await acme(s);
    const asked = await s.call('POST', '/v1/orgs/acme/products/site/termination', { token: owner, body: { date: '2026-12-12' } });
    expect((await confirm(s, 'site', fromLink(await linkOf(s, '2026-12-10', asked)))).status).toBe(200);
    expect((await s.rt.store.getProduct('acme', 'site'))!.nextActionDate).toBe('2026-12-12');

    const withdrawn = await s.call('DELETE', '/v1/orgs/acme/products/site/termination', { token: admin });
    expect(withdrawn.status, withdrawn.text).toBe(200);
    expect(withdrawn.json).toMatchObject({ productId: 'site', withdrawn: expect.any(String) });
    const back = (await s.rt.store.getProduct('acme', 'site'))!;
    expect(back.termination).toBeUndefined();
    // Back on the rules' schedule, auto-renewal off as the confirmation left it: reminders 7 and 1 days before 2026-12-30 (30 days before is past).
    expect(back).toMatchObject({ status: 'active', autoRenew: false, nextActionDate: '2026-12-23' });
    s.clock.day = '2026-12-12';
    await runNight(s.rt, '2026-12-12');
    expect((await s.rt.store.getProduct('acme', 'site'))!.status).toBe('active');
    expectError(await s.call('DELETE', '/v1/orgs/acme/products/site/termination', { token: owner }), 404, 'termination_not_found');

    // A transfer being paid: the termination waits for it.
    const transfer = await s.call('POST', '/v1/orgs/acme/checkout', {
      token: owner,
      headers: { 'idempotency-key': 'term-iban-0001' },
      body: { items: [{ productId: 'other' }], method: 'iban', useBalance: false },
    });
    expect(transfer.json).toMatchObject({ status: 'awaiting_payment' });
    expectError(await s.call('POST', '/v1/orgs/acme/products/other/termination', { token: owner, body: {} }), 409, 'product_in_open_checkout');
  });
});
