import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { extractText, getDocumentProxy } from 'unpdf';
import { describe, expect, it } from 'vitest';
import { SYSTEM } from '../../shared/use-cases/actor.ts';
import { setIdentityCheck, setMember } from '../../shared/use-cases/manage-organisation.ts';
import { camt, ntry, tx } from '../support/camt-builder.ts';
import { checkPage, heading, seriousViolations, useBrowser } from '../support/browser.ts';
import type { HttpStack } from '../support/http-client.ts';
import { useHttpStacks } from '../support/http-stacks.ts';
import { aProduct, anOrg, useDynamoDbLocal } from '../support/local-stack.ts';

/**
 * The customer portal and the finance console in Debian's Chromium, served
 * by the local server in front of the engine on DynamoDB Local, paid through
 * the sandbox's stand-in for Stripe's hosted page. Figures by hand (config/
 * sample.yaml): a .ch domain CHF 13.00 a year, a .com 16.00; VAT 8.1 % per
 * line: 1.05 and 1.30. What was charged is read from the payment provider
 * (the sandbox), not from the engine.
 */
const db = useDynamoDbLocal();
const stack = useHttpStacks(db.endpoint, { portal: true });
const browser = useBrowser();

async function signedIn(s: HttpStack, userId: string, scope?: string): Promise<Page> {
  const context = await browser.context(await s.tokenFor(userId, scope));
  return context.newPage();
}

const main = (page: Page) => page.locator('main');

describe('the accessibility check itself', () => {
  it('finds a serious violation where there is one (an image without text, a field without a label)', async () => {
    const page = await (await browser.context()).newPage();
    await page.setContent('<!doctype html><html lang="en"><head><title>t</title></head><body><main><h1>t</h1><img src="x.png"><input type="text"></main></body></html>');
    const found = (await seriousViolations(page)).map((v) => v.id).sort();
    expect(found).toEqual(['image-alt', 'label']);
  });
});

describe('paying a selection', () => {
  it('pays two products with the balance and a card on the hosted page: the card is charged the rest', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'acme', balance: '5.00' });
    await aProduct(s.rt, 'acme', { id: 'alpha', expiry: '2026-12-31', autoRenew: false });
    await aProduct(s.rt, 'acme', { id: 'gamma', typeId: 'domain-com', expiry: '2027-01-20', autoRenew: false });
    const page = await signedIn(s, 'owner-acme');

    await page.goto(`${s.server.url}/pay?org=acme`);
    expect(await heading(page)).toBe('Payer mes produits');
    await expect.poll(() => main(page).textContent()).toContain('31.12.2026');
    await checkPage(page, 'pay-fr');
    await page.getByLabel('Tout sélectionner').check();
    // 13.00 + 16.00 = 29.00 net; VAT 1.05 + 1.30 = 2.35; 31.35 in all, 5.00 from the balance, 26.35 by card.
    const summary = page.locator('.summary');
    await expect.poll(() => summary.textContent()).toContain('CHF 31.35');
    expect(await summary.textContent()).toContain('CHF 29.00');
    expect(await summary.textContent()).toContain('TVA 8.1 %');
    expect(await summary.textContent()).toContain('CHF 2.35');
    expect(await summary.textContent()).toContain('Utiliser mon solde prépayé (CHF 5.00)');
    expect(await summary.textContent()).toContain('CHF 26.35');
    // The methods the provider takes in CHF: no PostFinance card through Stripe.
    expect(await page.locator('.methods label').allTextContents()).toEqual(['Carte de crédit', 'TWINT', 'PayPal', 'Virement bancaire (QR-facture)']);
    await page.getByLabel('Carte de crédit').check();
    await page.getByRole('button', { name: 'Payer ma sélection' }).click();

    await page.waitForURL(/\/sandbox\/checkout\//);
    const paymentRef = decodeURIComponent(new URL(page.url()).pathname.split('/').at(-1)!);
    await checkPage(page, 'sandbox-checkout');
    await page.getByRole('button', { name: /test card 4242/ }).click();

    await page.waitForURL(/\/pay\?org=acme&checkout=/);
    await expect.poll(() => main(page).textContent()).toContain('Merci : votre paiement de CHF 31.35 a bien été reçu.');
    await checkPage(page, 'pay-paid-fr');
    // The payment provider's own record: 26.35 received, nothing refunded.
    const charged = await s.sandbox.getPayment(paymentRef);
    expect([charged!.status, charged!.amountReceived.toString(), charged!.amountRefunded.toString()]).toEqual(['succeeded', '26.35', '0.00']);
    const renewed = await s.call('GET', '/v1/orgs/acme/products?due=all', { token: await s.tokenFor('owner-acme') });
    expect((renewed.json.products as { id: string; expiry: string }[]).map((p) => [p.id, p.expiry])).toEqual([
      ['alpha', '2027-12-31'],
      ['gamma', '2028-01-20'],
    ]);
  });

  it('is declined on the hosted page, then paid with another card', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'acme' });
    await aProduct(s.rt, 'acme', { id: 'alpha', expiry: '2026-12-31', autoRenew: false });
    const page = await signedIn(s, 'owner-acme');
    await page.goto(`${s.server.url}/pay?org=acme`);
    await page.getByLabel('Sélectionner alpha.ch').check();
    await expect.poll(() => page.locator('.summary').textContent()).toContain('CHF 14.05');
    await page.getByRole('button', { name: 'Payer ma sélection' }).click();
    await page.waitForURL(/\/sandbox\/checkout\//);
    const paymentRef = decodeURIComponent(new URL(page.url()).pathname.split('/').at(-1)!);

    await page.getByRole('button', { name: /test card 0002/ }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('declined');
    expect((await s.sandbox.getPayment(paymentRef))!.status).toBe('requires_payment_method');
    await page.getByRole('button', { name: /test card 4242/ }).click();

    await page.waitForURL(/outcome=success/);
    await expect.poll(() => main(page).textContent()).toContain('Merci : votre paiement de CHF 14.05 a bien été reçu.');
    expect((await s.sandbox.getPayment(paymentRef))!.amountReceived.toString()).toBe('14.05');
  });

  it('passes 3-D Secure on the hosted page, and gives an order up on the way back', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'acme' });
    await aProduct(s.rt, 'acme', { id: 'alpha', expiry: '2026-12-31', autoRenew: false });
    await aProduct(s.rt, 'acme', { id: 'gamma', typeId: 'domain-com', expiry: '2027-01-20', autoRenew: false });
    const page = await signedIn(s, 'owner-acme');
    await page.goto(`${s.server.url}/pay?org=acme`);
    await page.getByLabel('Sélectionner gamma.ch').check();
    await expect.poll(() => page.locator('.summary').textContent()).toContain('CHF 17.30');
    await page.getByRole('button', { name: 'Payer ma sélection' }).click();
    await page.waitForURL(/\/sandbox\/checkout\//);
    await page.getByRole('button', { name: 'Cancel and return' }).click();
    await page.waitForURL(/outcome=cancel/);
    await expect.poll(() => main(page).textContent()).toContain("Le paiement a été annulé ; rien n'a été débité.");

    // gamma is free again: paid now, with a card that asks for authentication.
    await page.goto(`${s.server.url}/pay?org=acme`);
    await page.getByLabel('Sélectionner gamma.ch').check();
    await expect.poll(() => page.locator('.summary').textContent()).toContain('CHF 17.30');
    await page.getByRole('button', { name: 'Payer ma sélection' }).click();
    await page.waitForURL(/\/sandbox\/checkout\//);
    await page.getByRole('button', { name: /test card 3184/ }).click();
    await page.waitForURL(/step=3ds/);
    await checkPage(page, 'sandbox-3ds');
    await page.getByRole('button', { name: 'Complete authentication' }).click();
    await page.waitForURL(/outcome=success/);
    await expect.poll(() => main(page).textContent()).toContain('CHF 17.30 a bien été reçu');
  });

  it('gives a pro-forma with its QR-bill for a bank transfer, as a PDF to download', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'acme' });
    await aProduct(s.rt, 'acme', { id: 'alpha', expiry: '2026-12-31', autoRenew: false });
    const page = await signedIn(s, 'owner-acme');
    await page.goto(`${s.server.url}/pay?org=acme`);
    await page.getByLabel('Sélectionner alpha.ch').check();
    await page.getByLabel('Virement bancaire (QR-facture)').check();
    await expect.poll(() => page.locator('.summary').textContent()).toContain('CHF 14.05');
    await page.getByRole('button', { name: 'Payer ma sélection' }).click();

    const notice = page.locator('.notice-info');
    await expect.poll(() => notice.textContent()).toContain('Pro-forma PRO-CH-2026-000001 : virez CHF 14.05 avec la QR-facture');
    await checkPage(page, 'pay-proforma-fr');
    const reference = /référence ([\d ]+)\./.exec((await notice.textContent())!)![1]!.trim();
    expect(reference).toMatch(/^\d{2}( \d{5}){5}$/);
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Télécharger la pro-forma avec sa QR-facture (PDF)' }).click()]);
    expect(file.suggestedFilename()).toBe('PRO-CH-2026-000001.pdf');
    const pdf = readFileSync((await file.path())!);
    const { text } = await extractText(await getDocumentProxy(new Uint8Array(pdf)), { mergePages: true });
    // The QR-bill's payment part, in French, with the amount and the reference the portal showed.
    expect(text).toContain('Section paiement');
    expect(text).toContain('Récépissé');
    expect(text).toContain('14.05');
    expect(text.replace(/\s+/g, ' ')).toContain(reference);
  });
});

describe('automatic renewal, the balance and rights', () => {
  it('refuses auto-renewal 10 days before expiry with the reason and a renew-now link, and switches it on at 20 days', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'acme', method: 'pm_card_visa' });
    await aProduct(s.rt, 'acme', { id: 'near', expiry: '2026-12-20', autoRenew: false });
    await aProduct(s.rt, 'acme', { id: 'far', expiry: '2026-12-30', autoRenew: false });
    const page = await signedIn(s, 'owner-acme');
    await page.goto(`${s.server.url}/products?org=acme`);
    expect(await heading(page)).toBe('Produits et renouvellement automatique');
    await page.getByLabel('Renouveler automatiquement avec').selectOption({ label: 'pm_card_visa' });

    await page.getByRole('button', { name: 'Activer le renouvellement automatique de near.ch' }).click();
    const refusal = page.locator('.notice-error');
    await expect.poll(() => refusal.textContent()).toContain("near.ch : le renouvellement automatique ne peut pas être activé moins de 14 jours avant l'échéance");
    await checkPage(page, 'products-refused-fr');
    // "Renew now" leads to the payments page with the product ticked.
    await page.getByRole('link', { name: 'Renouveler near.ch maintenant' }).click();
    await page.waitForURL(/\/pay\?org=acme&product=near/);
    await expect.poll(() => page.getByLabel('Sélectionner near.ch').isChecked()).toBe(true);

    await page.goto(`${s.server.url}/products?org=acme`);
    await page.getByLabel('Renouveler automatiquement avec').selectOption({ label: 'pm_card_visa' });
    await page.getByRole('button', { name: 'Activer le renouvellement automatique de far.ch' }).click();
    await expect.poll(() => page.locator('.notice-ok').textContent()).toContain('Renouvellement automatique mis à jour.');
    const stored = await s.call('GET', '/v1/orgs/acme/products?due=all', { token: await s.tokenFor('owner-acme') });
    expect((stored.json.products as { id: string; autoRenew: boolean; expiry: string }[]).map((p) => [p.id, p.autoRenew])).toEqual([
      ['near', false],
      ['far', true],
    ]);
  });

  it('refuses a top-up of 0.09 and of 9999.01 and credits nothing; shows the balance in Swiss format', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'acme', balance: '1234.50' });
    const page = await signedIn(s, 'owner-acme');
    await page.goto(`${s.server.url}/balance?org=acme`);
    expect(await heading(page)).toBe('Solde prépayé');
    await expect.poll(() => page.locator('.balance').textContent()).toContain("CHF 1'234.50");
    await checkPage(page, 'balance-fr');
    // Card and bank transfer: the provider (Stripe) has no PostFinance card.
    expect(await page.locator('.methods label').allTextContents()).toEqual(['Carte de crédit', 'Virement bancaire (QR-facture)']);
    for (const amount of ['0.09', '9999.01']) {
      await page.getByLabel('Montant en CHF (0.10 à 9999)').fill(amount);
      await page.getByRole('button', { name: 'Recharger' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toBe('Une recharge va de 0.10 à 9999 CHF, avec au plus 2 décimales.');
    }
    expect((await s.rt.store.getOrganisation('acme'))!.balance).toBe('1234.50');
    expect(await s.rt.store.listCheckoutsInStatus('awaiting_payment', '2026-12-31')).toEqual([]);

    await page.getByLabel('Montant en CHF (0.10 à 9999)').fill('50');
    await page.getByRole('button', { name: 'Recharger' }).click();
    await page.waitForURL(/\/sandbox\/checkout\//);
    const paymentRef = decodeURIComponent(new URL(page.url()).pathname.split('/').at(-1)!);
    await page.getByRole('button', { name: /test card 4242/ }).click();
    await page.waitForURL(/outcome=success/);
    expect((await s.sandbox.getPayment(paymentRef))!.amountReceived.toString()).toBe('50.00');
    await page.goto(`${s.server.url}/balance?org=acme`);
    await expect.poll(() => page.locator('.balance').textContent()).toContain("CHF 1'284.50");
  });

  it('shows a collaborator without billing rights their products but no pay button, and no invoices', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'acme' });
    await aProduct(s.rt, 'acme', { id: 'alpha', expiry: '2026-12-31', autoRenew: false });
    await aProduct(s.rt, 'acme', { id: 'gamma', typeId: 'domain-com', expiry: '2027-01-20', autoRenew: false });
    await setMember(s.rt.deps, SYSTEM, 'acme', { userId: 'colin', email: 'colin@acme.ch', name: 'Colin', role: 'collaborator', billingRights: false, productIds: ['alpha'] });
    const page = await signedIn(s, 'colin');
    await page.goto(`${s.server.url}/pay?org=acme`);
    await expect.poll(() => main(page).textContent()).toContain('alpha.ch');
    expect(await main(page).textContent()).toContain('les payer nécessite des droits de facturation');
    expect(await main(page).textContent()).not.toContain('gamma.ch');
    expect(await page.getByRole('button', { name: 'Payer ma sélection' }).count()).toBe(0);
    expect(await page.getByRole('checkbox').count()).toBe(0);
    expect(await page.getByRole('navigation').getByRole('link').allTextContents()).toEqual(['Paiements', 'Produits']);
    await checkPage(page, 'pay-collaborator-fr');
    await page.goto(`${s.server.url}/invoices?org=acme`);
    expect(await heading(page)).toBe('Accès refusé');
  });

  it("answers another organisation's URL with a 403 page that reveals nothing of it", async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'acme' });
    await anOrg(s.rt, { id: 'secretco' });
    await aProduct(s.rt, 'secretco', { id: 'hidden', expiry: '2026-12-31', autoRenew: false });
    const page = await signedIn(s, 'owner-acme');
    for (const path of ['/pay?org=secretco', '/invoices?org=secretco', '/balance?org=secretco', '/orders?org=secretco', '/finance/held-orders']) {
      await page.goto(`${s.server.url}${path}`);
      expect(await heading(page), path).toBe('Accès refusé');
      const text = (await page.locator('body').textContent())!;
      expect(text, path).not.toMatch(/secretco|hidden/i);
    }
    await checkPage(page, 'forbidden-fr');
  });
});

/** Each page's title in the four languages, written here by hand. */
const TITLES: Record<string, Record<'fr' | 'de' | 'it' | 'en', string>> = {
  '/pay?org=acme': { fr: 'Payer mes produits', de: 'Meine Produkte bezahlen', it: 'Pagare i miei prodotti', en: 'Pay my products' },
  '/products?org=acme': {
    fr: 'Produits et renouvellement automatique',
    de: 'Produkte und automatische Verlängerung',
    it: 'Prodotti e rinnovo automatico',
    en: 'Products and automatic renewal',
  },
  '/invoices?org=acme': { fr: 'Factures', de: 'Rechnungen', it: 'Fatture', en: 'Invoices' },
  '/balance?org=acme': { fr: 'Solde prépayé', de: 'Guthaben', it: 'Saldo prepagato', en: 'Prepaid balance' },
  '/payment-methods?org=acme': { fr: 'Moyens de paiement', de: 'Zahlungsmittel', it: 'Metodi di pagamento', en: 'Payment methods' },
  '/orders?org=acme': { fr: 'Commandes en attente', de: 'Offene Bestellungen', it: 'Ordini in sospeso', en: 'Pending orders' },
  '/finance/exports': { fr: 'Exporter une période', de: 'Zeitraum exportieren', it: 'Esportare un periodo', en: 'Export a period' },
  '/finance/bank': { fr: 'Fichiers bancaires (camt.054)', de: 'Bankdateien (camt.054)', it: 'File bancari (camt.054)', en: 'Bank files (camt.054)' },
  '/finance/held-orders': {
    fr: "Commandes retenues pour une vérification d'identité",
    de: 'Für eine Identitätsprüfung zurückgehaltene Bestellungen',
    it: "Ordini trattenuti per una verifica dell'identità",
    en: 'Orders held for an identity check',
  },
  '/login': { fr: 'Connexion', de: 'Anmelden', it: 'Accedi', en: 'Sign in' },
  '/terminations/confirm?org=acme&product=alpha&request=r&token=t': {
    fr: 'Confirmer la résiliation',
    de: 'Kündigung bestätigen',
    it: 'Confermare la disdetta',
    en: 'Confirm the termination',
  },
};

describe('every page in the four languages', () => {
  it('shows each page in French, German, Italian and English, with no serious accessibility violation', async () => {
    const s = await stack('2026-12-10');
    await anOrg(s.rt, { id: 'acme', method: 'pm_card_visa', balance: '20.00' });
    await aProduct(s.rt, 'acme', { id: 'alpha', expiry: '2026-12-31', autoRenew: false });
    await aProduct(s.rt, 'acme', { id: 'gamma', typeId: 'domain-com', expiry: '2027-01-20', autoRenew: true });
    const owner = await s.tokenFor('owner-acme');
    // Something on every page: an invoice paid from the balance, a pro-forma waiting.
    await s.call('POST', '/v1/orgs/acme/checkout', {
      token: owner,
      headers: { 'idempotency-key': 'lang-balance-1' },
      body: { items: [{ productId: 'alpha' }], method: 'balance' },
    });
    await s.call('POST', '/v1/orgs/acme/checkout', {
      token: owner,
      headers: { 'idempotency-key': 'lang-iban-1' },
      body: { items: [{ productId: 'gamma' }], method: 'iban', useBalance: false },
    });
    // One administrator per language, finance staff too, so one sign-in sees the portal and the console
    // (and each stays within the API's 60 requests a minute per user).
    for (const lang of ['fr', 'de', 'it', 'en'] as const) {
      const userId = `admin-${lang}`;
      await setMember(s.rt.deps, SYSTEM, 'acme', { userId, email: `${userId}@acme.ch`, name: userId, role: 'administrator', billingRights: true, productIds: [] });
      const page = await (await browser.context(await s.tokenFor(userId, 'billing:finance'))).newPage();
      await page.goto(`${s.server.url}/pay?org=acme`);
      // The organisation's language first (French), then the switch, kept for the next pages.
      expect(await heading(page)).toBe('Payer mes produits');
      if (lang !== 'fr') {
        await page.getByLabel('Langue').selectOption(lang);
        await expect.poll(() => heading(page)).toBe(TITLES['/pay?org=acme']![lang]);
      }
      for (const [path, titles] of Object.entries(TITLES)) {
        await page.goto(`${s.server.url}${path}`);
        await expect.poll(() => heading(page)).toBe(titles[lang]);
        expect(await page.locator('html').getAttribute('lang')).toBe(lang);
        await page.waitForFunction(() => !(globalThis as unknown as { document: { querySelector(s: string): unknown } }).document.querySelector('.loading'));
        await checkPage(page, `${path.split('?')[0]!.replace(/\//g, '_').replace(/^_/, '') || 'home'}-${lang}`);
      }
    }
  });
});

describe('the finance console', () => {
  it('exports a period with progress and a download, imports a camt.054 file with its review list, and releases or cancels held orders', async () => {
    const s = await stack('2026-12-14');
    await anOrg(s.rt, { id: 'acme', balance: '14.05' });
    await aProduct(s.rt, 'acme', { id: 'alpha', expiry: '2026-12-31', autoRenew: false });
    await aProduct(s.rt, 'acme', { id: 'gamma', typeId: 'domain-com', expiry: '2027-01-20', autoRenew: false });
    const owner = await s.tokenFor('owner-acme');
    await s.call('POST', '/v1/orgs/acme/checkout', { token: owner, headers: { 'idempotency-key': 'fin-balance-1' }, body: { items: [{ productId: 'alpha' }], method: 'balance' } });
    const proforma = await s.call('POST', '/v1/orgs/acme/checkout', {
      token: owner,
      headers: { 'idempotency-key': 'fin-iban-1' },
      body: { items: [{ productId: 'gamma' }], method: 'iban' },
    });
    const qrr = String(proforma.json.paymentReference);
    await anOrg(s.rt, { id: 'kyc' });
    await aProduct(s.rt, 'kyc', { id: 'one', expiry: '2026-12-31', autoRenew: false });
    await aProduct(s.rt, 'kyc', { id: 'two', expiry: '2026-12-31', autoRenew: false });
    await setIdentityCheck(s.rt.deps, 'kyc', 'required');
    const kycOwner = await s.tokenFor('owner-kyc');
    const refs: string[] = [];
    for (const productId of ['one', 'two']) {
      const started = await s.call('POST', '/v1/orgs/kyc/checkout', {
        token: kycOwner,
        headers: { 'idempotency-key': `fin-held-${productId}` },
        body: { items: [{ productId }], method: 'card' },
      });
      const ref = (started.json.payment as { paymentRef: string }).paymentRef;
      await s.confirm(ref, 'pm_card_visa');
      refs.push(ref);
    }
    const page = await signedIn(s, 'fiona', 'billing:finance');

    // Export: the one invoice of the period, 14.05 with VAT (in English: the switch is kept).
    await page.goto(`${s.server.url}/finance/exports`);
    await page.evaluate(() => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('billing.lang', 'en'));
    await page.reload();
    expect(await heading(page)).toBe('Export a period');
    await page.getByLabel('From', { exact: true }).fill('2026-12-01');
    await page.getByLabel('To', { exact: true }).fill('2026-12-31');
    await page.getByRole('button', { name: 'Export' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent(), { timeout: 30_000 }).toMatch(/^Done: \d+ documents/);
    expect(await page.locator('progress').getAttribute('value')).toBe('3');
    await checkPage(page, 'finance-export-done');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the CSV' }).click()]);
    const rows = readFileSync((await csv.path())!, 'utf8');
    expect(rows).toContain('INV-CH-2026-000001');
    expect(rows).toContain('14.05');

    // A bank file: 10.00 of the pro-forma's 17.30, and 50.00 nobody's reference names.
    await page.goto(`${s.server.url}/finance/bank`);
    const file = camt('MSG-BROWSER-1', [
      ntry({ ref: 'B-1', amount: '10.00', txs: [tx({ amount: '10.00', qrr })] }),
      ntry({ ref: 'B-2', amount: '50.00', txs: [tx({ amount: '50.00', qrr: '210000000003139471430009017' })] }),
    ]);
    await page.getByLabel('camt.054 file (XML)').setInputFiles({ name: 'camt054.xml', mimeType: 'application/xml', buffer: Buffer.from(file) });
    await page.getByRole('button', { name: 'Import the file' }).click();
    await expect.poll(() => page.locator('#report-title').textContent()).toBe('Statement MSG-BROWSER-1');
    await expect.poll(() => page.locator('.group h3').allTextContents()).toEqual(['Part payments (1)', 'Unknown references (1)']);
    await checkPage(page, 'finance-bank-imported');

    // Held orders: one released, one cancelled (after the second click), the card refunded in full.
    await page.goto(`${s.server.url}/finance/held-orders`);
    await expect.poll(() => page.locator('tbody th').count()).toBe(2);
    const ids = await page.locator('tbody th').allTextContents();
    await page.getByRole('button', { name: `Release ${ids[0]}` }).click();
    await expect.poll(() => page.locator('.notice-ok').textContent()).toContain(`Order ${ids[0]} released`);
    await page.getByRole('button', { name: `Cancel and refund ${ids[1]}` }).click();
    await page.getByRole('button', { name: 'Confirm: refund CHF 14.05' }).click();
    await expect.poll(() => page.locator('.notice-ok').textContent()).toContain(`Order ${ids[1]} cancelled and refunded.`);
    await expect.poll(() => main(page).textContent()).toContain('No order is held.');
    const refunded = await Promise.all(refs.map((r) => s.sandbox.getPayment(r)));
    expect(refunded.map((p) => p!.amountRefunded.toString()).sort()).toEqual(['0.00', '14.05']);
  });
});
