import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { checkPage, heading, useBrowser } from '../support/browser.ts';
import type { HttpStack } from '../support/http-client.ts';
import { useHttpStacks } from '../support/http-stacks.ts';
import { aProduct, anOrg, useDynamoDbLocal } from '../support/local-stack.ts';

/**
 * The rest of the customer's account in Chromium: the demo sign-in, saved
 * methods added on the sandbox's hosted page and removed, pending orders,
 * invoices with their PDF, and a termination confirmed from its e-mail's
 * link. Figures by hand: a .ch domain is CHF 13.00 a year + 8.1 % = 14.05.
 */
const db = useDynamoDbLocal();
const stack = useHttpStacks(db.endpoint, { portal: true });
const browser = useBrowser();

async function signedIn(s: HttpStack, userId: string): Promise<Page> {
  return (await browser.context(await s.tokenFor(userId))).newPage();
}
const main = (page: Page) => page.locator('main');

describe('the customer account pages', () => {
  it("signs in on the demo page as one of the demo's users and comes back to the page they were going to", async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'acme' });
    const page = await (await browser.context()).newPage();
    await page.goto(`${s.server.url}/invoices?org=acme`);
    await page.waitForURL(/\/login$/);
    expect(await heading(page)).toBe('Connexion');
    await checkPage(page, 'login-fr');
    await page.getByRole('button', { name: 'Se connecter en tant que Owner (owner-acme)' }).click();
    // Back where the user was going.
    await page.waitForURL(/\/invoices\?org=acme$/);
    expect(await heading(page)).toBe('Factures');
  });

  it('adds a card on the hosted page (saved once the provider confirms it) and removes it', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'acme' });
    const page = await signedIn(s, 'owner-acme');
    await page.goto(`${s.server.url}/payment-methods?org=acme`);
    await expect.poll(() => main(page).textContent()).toContain('Aucun moyen de paiement enregistré.');
    await page.getByRole('button', { name: 'Ajouter Carte de crédit' }).click();
    await page.waitForURL(/\/sandbox\/checkout\/seti_/);
    await checkPage(page, 'sandbox-setup');
    await page.getByRole('button', { name: 'Save the test card' }).click();
    await page.waitForURL(/\/payment-methods\?org=acme$/);
    await expect.poll(() => page.locator('.method-label').allTextContents()).toEqual(['Visa •••• 4242']);
    await checkPage(page, 'methods-fr');
    // At the provider: the method saved for the organisation's customer, set up for off-session use.
    const saved = (await s.rt.store.listPaymentMethods('acme')).map((m) => m.gatewayRef);
    expect(saved).toEqual(['pm_card_visa']);

    await page.getByRole('button', { name: 'Supprimer Visa •••• 4242' }).click();
    await expect.poll(() => page.locator('.notice-ok').textContent()).toBe('Visa •••• 4242 a été supprimé.');
    await expect.poll(() => main(page).textContent()).toContain('Aucun moyen de paiement enregistré.');
  });

  it('lists the invoices and downloads a PDF and an e-invoice; lists a pending transfer order and cancels it', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'acme', balance: '14.05' });
    await aProduct(s.rt, 'acme', { id: 'alpha', expiry: '2026-12-31', autoRenew: false });
    await aProduct(s.rt, 'acme', { id: 'beta', expiry: '2027-01-15', autoRenew: false });
    const owner = await s.tokenFor('owner-acme');
    await s.call('POST', '/v1/orgs/acme/checkout', {
      token: owner,
      headers: { 'idempotency-key': 'pages-balance-1' },
      body: { items: [{ productId: 'alpha' }], method: 'balance' },
    });
    await s.call('POST', '/v1/orgs/acme/checkout', { token: owner, headers: { 'idempotency-key': 'pages-iban-1' }, body: { items: [{ productId: 'beta' }], method: 'iban' } });
    const page = await signedIn(s, 'owner-acme');

    await page.goto(`${s.server.url}/invoices?org=acme`);
    await expect.poll(() => page.locator('tbody th').allTextContents()).toEqual(['PRO-CH-2026-000001', 'INV-CH-2026-000001']);
    const row = page.locator('tbody tr', { hasText: 'INV-CH-2026-000001' });
    expect(await row.textContent()).toContain('CHF 14.05');
    expect(await row.textContent()).toContain('10.12.2026');
    expect(await row.textContent()).toContain('Payée');
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Télécharger INV-CH-2026-000001 (PDF)' }).click()]);
    expect(
      readFileSync((await file.path())!)
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
    // The final invoice's e-invoice (CII: the organisation chose no profile); a pro-forma has none.
    const [xml] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Télécharger INV-CH-2026-000001 en facture électronique (XML)' }).click()]);
    const cii = readFileSync((await xml.path())!, 'utf8');
    expect(cii).toContain('CrossIndustryInvoice');
    expect(cii).toContain('<ram:ID>INV-CH-2026-000001</ram:ID>');
    expect(await page.getByRole('button', { name: /^Télécharger PRO-CH-2026-000001 en facture électronique/ }).count()).toBe(0);

    await page.goto(`${s.server.url}/orders?org=acme`);
    await expect.poll(() => main(page).textContent()).toContain('PRO-CH-2026-000001');
    expect(await main(page).textContent()).toContain('beta.ch');
    await checkPage(page, 'orders-fr');
    await page.getByRole('button', { name: /^Annuler la commande / }).click();
    await expect.poll(() => page.locator('.notice-ok').textContent()).toBe('La commande a été annulée.');
    await expect.poll(() => main(page).textContent()).toContain('Aucune commande en attente.');
    expect((await s.rt.store.findInvoice('PRO-CH-2026-000001'))!.status).toBe('void');
  });

  it("requests a product's termination, and confirms it from the e-mail's link without signing in", async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'acme' });
    await aProduct(s.rt, 'acme', { id: 'alpha', expiry: '2027-03-31', autoRenew: false });
    const page = await signedIn(s, 'owner-acme');
    await page.goto(`${s.server.url}/products?org=acme`);
    await page.getByRole('button', { name: 'Demander la résiliation de alpha.ch' }).click();
    await expect.poll(() => page.locator('.notice-ok').textContent()).toContain('alpha.ch : nous avons envoyé un lien de confirmation par e-mail');

    const mail = (await s.rt.store.listOutbox('2026-12-10')).find((m) => m.template === 'termination-confirm')!;
    const link = `/terminations/confirm?org=acme&product=alpha&request=${encodeURIComponent(mail.data.requestId!)}&token=${encodeURIComponent(mail.data.token!)}`;
    const anonymous = await (await browser.context()).newPage();
    await anonymous.goto(`${s.server.url}${link}`);
    expect(await heading(anonymous)).toBe('Confirmer la résiliation');
    await anonymous.getByRole('button', { name: 'Confirmer la résiliation' }).click();
    await expect.poll(() => anonymous.locator('.notice-ok').textContent()).toMatch(/^Résiliation confirmée : le produit prend fin le \d{2}\.\d{2}\.\d{4}\.$/);
    await checkPage(anonymous, 'termination-confirmed-fr');
    const product = await s.rt.store.getProduct('acme', 'alpha');
    expect(product!.termination?.confirmedAt).toBeDefined();
    // The date shown is the night that terminates it, in Swiss format.
    const [y, m, d] = product!.termination!.date.split('-');
    expect(await anonymous.locator('.notice-ok').textContent()).toContain(`${d}.${m}.${y}`);
  });

  it('shows a large organisation a page of 100 products, and the rest on request', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'big' });
    for (let i = 0; i < 105; i++) await aProduct(s.rt, 'big', { id: `site-${String(i).padStart(3, '0')}`, expiry: '2027-06-30', autoRenew: false });
    const page = await signedIn(s, 'owner-big');
    await page.goto(`${s.server.url}/products?org=big`);
    await expect.poll(() => page.locator('tbody tr').count()).toBe(100);
    await page.getByRole('button', { name: 'Afficher plus de produits' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(105);
    expect(await page.getByRole('button', { name: 'Afficher plus de produits' }).count()).toBe(0);
    expect(await page.locator('tbody th').last().textContent()).toContain('site-104.ch');
  });
});
