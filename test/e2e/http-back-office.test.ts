import { describe, expect, it } from 'vitest';
import { signLocalToken } from '../../functions/http/local-tokens.ts';
import type { HttpStack } from '../support/http-client.ts';
import { expectError, useHttpStacks } from '../support/http-stacks.ts';
import { useDynamoDbLocal } from '../support/local-stack.ts';

/**
 * The back-office API through the local HTTP server, as the provider's
 * shop and support tools call it: a client-credentials token with the
 * `billing:backoffice` scope; every answer is checked against the OpenAPI
 * document by the HTTP client. The role rules are the FAQ's ("Gérer les
 * utilisateurs"): only a legal owner makes legal owners, the last one stays.
 */
const db = useDynamoDbLocal();
const stack = useHttpStacks(db.endpoint);
const shopToken = (s: HttpStack) => signLocalToken(s.home, { userId: 'svc', clientId: 'shop', scope: 'billing:backoffice', ttlSeconds: 600 });

const wayne = {
  id: 'wayne',
  name: 'Wayne Hosting SA',
  currency: 'CHF',
  country: 'CH',
  vatNumber: 'CHE-116.281.710 MWST',
  language: 'de',
  owner: { userId: 'bruce', email: 'bruce@wayne.ch', name: 'Bruce' },
};

describe('the back-office API over HTTP', () => {
  it("refuses a customer's token, and records the refusal", async () => {
    const s = await stack('2026-12-10');
    const shop = await shopToken(s);
    expect((await s.call('POST', '/v1/admin/orgs', { token: shop, body: wayne })).status).toBe(201);
    const customer = await s.tokenFor('bruce');
    expectError(await s.call('GET', '/v1/admin/orgs', { token: customer }), 403, 'insufficient_scope');
    expectError(await s.call('GET', '/v1/admin/orgs'), 401, 'unauthorized');

    const audit = await s.call('GET', '/v1/admin/audit?date=2026-12-10', { token: shop });
    // The test clock stands still, so the entries share one instant: compared in the order of their action.
    const entries = (audit.json.entries as { action: string; client: string; status: string; httpStatus?: number; code?: string }[]).map((e) =>
      [e.action, e.client, e.status, e.httpStatus ?? 0, e.code ?? ''].join(' '),
    );
    expect(entries.sort()).toEqual([
      // The call reading the trail is on it already: its entry is written before it acts.
      'GET /v1/admin/audit shop|svc started 0 ',
      'GET /v1/admin/orgs -|bruce refused 403 insufficient_scope',
      'POST /v1/admin/orgs shop|svc done 201 ',
    ]);
  });

  it('creates, lists, reads and updates organisations, refusing what would change issued documents', async () => {
    const s = await stack('2026-12-10');
    const shop = await shopToken(s);
    const created = await s.call('POST', '/v1/admin/orgs', { token: shop, body: wayne });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: 'wayne', name: 'Wayne Hosting SA', currency: 'CHF', balance: '0.00', language: 'de' });
    expectError(await s.call('POST', '/v1/admin/orgs', { token: shop, body: wayne }), 409, 'org_exists');
    expectError(await s.call('POST', '/v1/admin/orgs', { token: shop, body: { ...wayne, id: 'other', vatNumber: 'CHE-116.281.711' } }), 400, 'invalid_vat_number');
    expectError(await s.call('POST', '/v1/admin/orgs', { token: shop, body: { ...wayne, id: 'other', currency: 'USD' } }), 400, 'invalid_input');

    const list = await s.call('GET', '/v1/admin/orgs', { token: shop });
    expect((list.json.organisations as { id: string }[]).map((o) => o.id)).toEqual(['wayne']);
    const read = await s.call('GET', '/v1/admin/orgs/wayne', { token: shop });
    expect((read.json.members as { userId: string; role: string }[]).map((m) => [m.userId, m.role])).toEqual([['bruce', 'legal-owner']]);
    expectError(await s.call('GET', '/v1/admin/orgs/nobody', { token: shop }), 404, 'org_not_found');

    const patched = await s.call('PATCH', '/v1/admin/orgs/wayne', {
      token: shop,
      body: { address: 'Bahnhofstrasse 1, 8001 Zürich', language: 'fr', billingContacts: ['billing@wayne.ch'], reminderDaysBefore: [30, 7] },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).toMatchObject({
      address: 'Bahnhofstrasse 1, 8001 Zürich',
      language: 'fr',
      billingContacts: ['billing@wayne.ch'],
      reminderDaysBefore: [30, 7],
      balance: '0.00',
      currency: 'CHF',
    });
    expect(await s.rt.store.getOrganisation('wayne')).toMatchObject({ language: 'fr', name: 'Wayne Hosting SA', vatNumber: 'CHE-116.281.710 MWST' });
    expectError(await s.call('PATCH', '/v1/admin/orgs/wayne', { token: shop, body: {} }), 400, 'invalid_input');
    expectError(await s.call('PATCH', '/v1/admin/orgs/wayne', { token: shop, body: { currency: 'EUR' } }), 400, 'invalid_input');
    expectError(await s.call('PATCH', '/v1/admin/orgs/wayne', { token: shop, body: { vatNumber: 'DE123' } }), 400, 'invalid_vat_number');
    expect(await s.rt.store.getOrganisation('wayne')).toMatchObject({ currency: 'CHF', vatNumber: 'CHE-116.281.710 MWST' });
  });

  it('keeps the role rules: only a legal owner makes legal owners, the last one stays, and each member is told', async () => {
    const s = await stack('2026-12-10');
    const shop = await shopToken(s);
    await s.call('POST', '/v1/admin/orgs', { token: shop, body: wayne });
    const put = (userId: string, body: object, actingUser?: string) =>
      s.call('PUT', `/v1/admin/orgs/wayne/members/${userId}`, { token: shop, body, ...(actingUser ? { headers: { 'x-acting-user': actingUser } } : {}) });

    const alfred = await put('alfred', { email: 'alfred@wayne.ch', name: 'Alfred', role: 'administrator' }, 'bruce');
    expect(alfred.status, alfred.text).toBe(200);
    expect(alfred.json).toMatchObject({ userId: 'alfred', role: 'administrator' });
    const robin = await put('robin', { email: 'robin@wayne.ch', name: 'Robin', role: 'collaborator', billingRights: false, productIds: ['cave.ch'] }, 'alfred');
    expect(robin.json).toMatchObject({ role: 'collaborator', billingRights: false, productIds: ['cave.ch'] });

    expectError(await put('robin', { email: 'robin@wayne.ch', name: 'Robin', role: 'legal-owner' }, 'alfred'), 403, 'forbidden');
    expectError(await put('selina', { email: 'selina@wayne.ch', name: 'Selina', role: 'administrator' }, 'robin'), 403, 'forbidden');
    expectError(await put('bruce', { email: 'bruce@wayne.ch', name: 'Bruce', role: 'administrator' }), 422, 'last_legal_owner');
    expectError(await s.call('DELETE', '/v1/admin/orgs/wayne/members/bruce', { token: shop }), 422, 'last_legal_owner');
    expectError(await put('robin', { email: 'not-an-address', name: 'Robin', role: 'collaborator' }), 400, 'invalid_input');

    // A second legal owner, made by the first: now the first may step down.
    expect((await put('lucius', { email: 'lucius@wayne.ch', name: 'Lucius', role: 'legal-owner' }, 'bruce')).status).toBe(200);
    expect((await put('bruce', { email: 'bruce@wayne.ch', name: 'Bruce', role: 'administrator' }, 'lucius')).json).toMatchObject({ role: 'administrator' });

    const removed = await s.call('DELETE', '/v1/admin/orgs/wayne/members/robin', { token: shop, headers: { 'x-acting-user': 'alfred' } });
    expect(removed.status, removed.text).toBe(200);
    expect(removed.json).toEqual({ removed: 'robin' });
    expectError(await s.call('DELETE', '/v1/admin/orgs/wayne/members/robin', { token: shop }), 404, 'member_not_found');

    const members = (await s.call('GET', '/v1/admin/orgs/wayne', { token: shop })).json.members as { userId: string; role: string }[];
    expect(members.map((m) => `${m.userId}:${m.role}`).sort()).toEqual(['alfred:administrator', 'bruce:administrator', 'lucius:legal-owner']);

    const told = (await s.rt.store.listOutbox('2026-12-10')).filter((e) => e.template === 'member-access');
    expect(told.map((e) => `${e.to.join()} ${String(e.data.change)} ${String(e.data.role)}`).sort()).toEqual([
      'alfred@wayne.ch granted administrator',
      'bruce@wayne.ch granted administrator',
      'lucius@wayne.ch granted legal-owner',
      'robin@wayne.ch granted collaborator',
      'robin@wayne.ch removed collaborator',
    ]);
  });

  it('creates a product, imports a file with a report per row, and adds nothing twice when the file comes again', async () => {
    const s = await stack('2026-12-10');
    const shop = await shopToken(s);
    await s.call('POST', '/v1/admin/orgs', { token: shop, body: wayne });

    const one = await s.call('POST', '/v1/admin/orgs/wayne/products', { token: shop, body: { id: 'cave', typeId: 'domain-ch', name: 'cave.ch', expiry: '2027-12-10' } });
    expect(one.status, one.text).toBe(201);
    expect(one.json).toMatchObject({ id: 'cave', orgId: 'wayne', typeId: 'domain-ch', name: 'cave.ch', expiry: '2027-12-10', status: 'active', autoRenew: false });
    expectError(
      await s.call('POST', '/v1/admin/orgs/wayne/products', { token: shop, body: { id: 'cave', typeId: 'domain-ch', name: 'cave.ch', expiry: '2027-12-10' } }),
      409,
      'product_exists',
    );

    const ndjson = [
      JSON.stringify({ id: 'tower', typeId: 'web-hosting', name: 'tower.ch hosting', expiry: '2027-03-01' }),
      '{"id": "broken", ',
      JSON.stringify({ typeId: 'domain-ch', name: 'noid.ch', expiry: '2027-03-01' }),
      JSON.stringify({ id: 'cave', typeId: 'domain-ch', name: 'cave.ch', expiry: '2027-12-10' }),
      JSON.stringify({ id: 'cave', typeId: 'domain-com', name: 'cave.com', expiry: '2027-12-10' }),
      JSON.stringify({ id: 'odd', typeId: 'spaceship', name: 'odd', expiry: '2027-03-01' }),
      JSON.stringify({ id: 'mail', typeId: 'mail-service', name: 'mail.wayne.ch', expiry: '2027-05-01' }),
    ].join('\n');
    const post = (body: string, type: string) => s.call('POST', '/v1/admin/orgs/wayne/products/import', { token: shop, body, headers: { 'content-type': type } });
    const first = await post(ndjson, 'application/x-ndjson');
    expect(first.status, first.text).toBe(200);
    expect(first.json).toMatchObject({ rows: 7, added: 2, unchanged: 1, refused: 4 });
    const report = first.json.report as { row: number; status: string; code?: string; id?: string }[];
    expect(report.map((r) => [r.row, r.status, r.code ?? r.id])).toEqual([
      [1, 'added', 'tower'],
      [2, 'refused', 'unreadable_row'],
      [3, 'refused', 'id_required'],
      [4, 'unchanged', 'cave'],
      [5, 'refused', 'product_exists'],
      [6, 'refused', 'unknown_product_type'],
      [7, 'added', 'mail'],
    ]);

    const again = await post(ndjson, 'application/x-ndjson; charset=utf-8');
    expect(again.json).toMatchObject({ rows: 7, added: 0, unchanged: 3, refused: 4 });
    expect((await s.rt.store.listProducts('wayne')).map((p) => p.id).sort()).toEqual(['cave', 'mail', 'tower']);

    const csv = 'id,typeId,name,expiry,periodMonths,autoRenew\nstore,cloud-storage,store.wayne.ch,2027-02-01,12,false\nbad,domain-ch,bad.ch,2027-02-30,12,false\n';
    const fromCsv = await post(csv, 'text/csv');
    expect(fromCsv.json).toMatchObject({ rows: 2, added: 1, refused: 1 });
    expect((fromCsv.json.report as { row: number; status: string }[]).map((r) => [r.row, r.status])).toEqual([
      [2, 'added'],
      [3, 'refused'],
    ]);
    expect(await s.rt.store.getProduct('wayne', 'store')).toMatchObject({ typeId: 'cloud-storage', name: 'store.wayne.ch', expiry: '2027-02-01', periodMonths: 12 });

    expectError(await post('id,typeId\n', 'text/plain'), 415, 'unsupported_media_type');
    expectError(await post('', 'application/x-ndjson'), 400, 'empty_import');
    expectError(
      await s.call('POST', '/v1/admin/orgs/nobody/products/import', { token: shop, body: ndjson, headers: { 'content-type': 'application/x-ndjson' } }),
      404,
      'org_not_found',
    );

    const audit = (await s.call('GET', '/v1/admin/audit?date=2026-12-10', { token: shop })).json.entries as { action: string; status: string; summary?: string }[];
    const imports = audit.filter((e) => e.action === 'POST /v1/admin/orgs/{orgId}/products/import').map((e) => `${e.status} ${e.summary ?? ''}`);
    expect(imports.sort()).toEqual([
      'done 2 rows: 1 added, 0 unchanged, 1 refused',
      'done 7 rows: 0 added, 3 unchanged, 4 refused',
      'done 7 rows: 2 added, 1 unchanged, 4 refused',
      'refused ',
      'refused ',
      'refused ',
    ]);
    expectError(await s.call('GET', '/v1/admin/audit?date=2026-12-32', { token: shop }), 400, 'invalid_query');
  });

  it('changes a product and moves it to another organisation in one step, refusing either while a payment is under way', async () => {
    const s = await stack('2026-12-10');
    const shop = await shopToken(s);
    await s.call('POST', '/v1/admin/orgs', { token: shop, body: wayne });
    await s.call('POST', '/v1/admin/orgs', { token: shop, body: { ...wayne, id: 'gotham', name: 'Gotham GmbH', owner: { userId: 'jim', email: 'jim@gotham.ch', name: 'Jim' } } });
    const card = await s.call('POST', '/v1/admin/orgs/wayne/payment-methods', { token: shop, body: { kind: 'card', label: 'Visa 4242', gatewayRef: 'pm_card_visa' } });
    expect(card.status, card.text).toBe(201);
    const methodId = card.json.id as string;
    const add = (id: string, expiry: string) =>
      s.call('POST', '/v1/admin/orgs/wayne/products', { token: shop, body: { id, typeId: 'domain-ch', name: `${id}.ch`, expiry, autoRenew: true, paymentMethodId: methodId } });
    expect((await add('cave', '2027-01-20')).status).toBe(201);
    expect((await add('tower', '2027-06-30')).status).toBe(201);
    const patch = (id: string, body: unknown) => s.call('PATCH', `/v1/admin/orgs/wayne/products/${id}`, { token: shop, body });

    // Renamed, two years a period. Its next night, by hand: reminders 30, 7, 1 days before 2027-01-20, charges from 14 days before: 2026-12-21 first.
    const renamed = await patch('cave', { name: 'batcave.ch', periodMonths: 24 });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.json).toMatchObject({
      id: 'cave',
      name: 'batcave.ch',
      periodMonths: 24,
      expiry: '2027-01-20',
      autoRenew: true,
      paymentMethodId: methodId,
      nextActionDate: '2026-12-21',
    });
    // A corrected expiry moves the schedule: 30 days before 2027-02-20.
    expect((await patch('cave', { expiry: '2027-02-20' })).json).toMatchObject({ expiry: '2027-02-20', nextActionDate: '2027-01-21' });
    expectError(await patch('cave', { periodMonths: 5 }), 400, 'period_not_allowed');
    expectError(await patch('cave', { typeId: 'spaceship' }), 400, 'unknown_product_type');
    expectError(await patch('cave', {}), 400, 'invalid_input');
    expectError(await patch('cave', { colour: 'black' }), 400, 'invalid_input');
    expectError(await patch('nothing', { name: 'x' }), 404, 'product_not_found');
    // No method any more: the balance alone would pay.
    expect((await patch('cave', { paymentMethodId: null })).json).not.toHaveProperty('paymentMethodId');

    // Moved: gone from wayne, in gotham under the same id; wayne's card stays with wayne, so it no longer renews by itself.
    const moved = await s.call('POST', '/v1/admin/orgs/wayne/products/tower/move', { token: shop, body: { toOrgId: 'gotham' } });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.json).toMatchObject({ id: 'tower', orgId: 'gotham', expiry: '2027-06-30', autoRenew: false });
    expect(moved.json).not.toHaveProperty('paymentMethodId');
    expect(await s.rt.store.getProduct('wayne', 'tower')).toBeUndefined();
    expect((await s.rt.store.listProducts('gotham')).map((p) => p.id)).toEqual(['tower']);
    const jim = await s.tokenFor('jim');
    const seen = await s.call('GET', '/v1/orgs/gotham/products?due=all', { token: jim });
    expect((seen.json.products as { id: string }[]).map((p) => p.id)).toEqual(['tower']);
    expectError(await s.call('POST', '/v1/admin/orgs/gotham/products/tower/move', { token: shop, body: { toOrgId: 'gotham' } }), 400, 'same_organisation');
    expectError(await s.call('POST', '/v1/admin/orgs/gotham/products/tower/move', { token: shop, body: { toOrgId: 'arkham' } }), 404, 'org_not_found');
    expectError(
      await s.call('POST', '/v1/admin/orgs/gotham/products/tower/move', { token: shop, body: { toOrgId: 'wayne', paymentMethodId: 'pm-nothing' } }),
      400,
      'unknown_payment_method',
    );
    expect((await add('tower', '2027-06-30')).status).toBe(201);
    expectError(await s.call('POST', '/v1/admin/orgs/gotham/products/tower/move', { token: shop, body: { toOrgId: 'wayne' } }), 409, 'product_exists');

    // A transfer being paid for cave: its plan, period, expiry and organisation wait for it; its name may change.
    const bruce = await s.tokenFor('bruce');
    const transfer = await s.call('POST', '/v1/orgs/wayne/checkout', {
      token: bruce,
      headers: { 'idempotency-key': 'bo-move-iban-01' },
      body: { items: [{ productId: 'cave' }], method: 'iban', useBalance: false },
    });
    expect(transfer.json).toMatchObject({ status: 'awaiting_payment' });
    expectError(await patch('cave', { expiry: '2027-03-20' }), 409, 'product_in_open_checkout');
    expectError(await s.call('POST', '/v1/admin/orgs/wayne/products/cave/move', { token: shop, body: { toOrgId: 'gotham' } }), 409, 'product_in_open_checkout');
    expect((await patch('cave', { name: 'cave.ch' })).status).toBe(200);
    expect(await s.rt.store.getProduct('wayne', 'cave')).toMatchObject({ expiry: '2027-02-20', orgId: 'wayne' });
  });
});
