import { describe, expect, it } from 'vitest';
import { EMAIL_TEXTS } from '../../../shared/adapters/mail/email-texts.ts';
import { renderEmail } from '../../../shared/adapters/mail/render-email.ts';
import { formatSwissAmount } from '../../../shared/adapters/pdf/labels.ts';
import { LANGUAGES, type Language } from '../../../shared/domain/organisation.ts';
import type { OutboxEmail } from '../../../shared/domain/records.ts';
import { DEFAULT_SELLER } from '../../support/sample-config.ts';

// Every data key the use cases put in an e-mail (renew-product, settle-checkout, import-bank-statement,
// gateway-events, apply-lifecycle), with values a customer could have.
const DATA: Record<OutboxEmail['template'], Record<string, string>> = {
  'renewal-reminder': { product: 'example.ch', productId: 'p1', expiry: '2026-12-31', daysLeft: '30' },
  'auto-renewal-notice': { product: 'example.ch', productId: 'p1', expiry: '2026-12-31', daysLeft: '7' },
  'payment-failed': { product: 'example.ch', productId: 'p1', expiry: '2026-12-31', reason: 'Your card was declined.', code: 'card_declined', nextAttempt: '2026-12-20' },
  'authentication-required': { product: 'example.ch', productId: 'p1', expiry: '2026-12-31', reason: 'auth', payUrl: '/pay?org=o1&product=p1' },
  'renewal-paid': { product: 'example.ch', productId: 'p1', expiry: '2026-12-31', invoice: 'INV-CH-2026-000042', amount: '1234.50', currency: 'CHF', newExpiry: '2027-12-31' },
  'product-blocked': { product: 'example.ch', productId: 'p1', expiry: '2026-12-31' },
  'product-terminated': { product: 'example.ch', productId: 'p1', expiry: '2026-12-31', backupsDeleted: 'true' },
  'checkout-paid': { checkout: 'c1', total: '45.90', currency: 'CHF', invoice: 'INV-CH-2026-000043' },
  'checkout-held': { checkout: 'c1', total: '45.90', currency: 'CHF' },
  'order-refunded': { checkout: 'c1', total: '45.90', currency: 'EUR', reason: 'security_hold_expired', creditNote: 'CN-CH-2026-000001' },
  'top-up-credited': { checkout: 'c1', total: '100.00', currency: 'CHF' },
  'invoice-reopened': { invoice: 'INV-CH-2026-000044', amountDue: '12.35', currency: 'CHF', reference: 'RF18539007547034', reason: 'return' },
  'payment-method-removed': { method: 'Visa •••• 4242', products: 'example.ch, example.com' },
  'member-access': { orgName: 'Acme Sàrl', change: 'granted', role: 'collaborator', billingRights: 'yes', products: 'example.ch' },
  'termination-confirm': {
    product: 'example.ch',
    productId: 'p1',
    expiry: '2026-12-31',
    terminationDate: '2026-12-31',
    requestedBy: 'Anna Muster',
    requestId: 'tr_1',
    token: 'tok-secret',
    hours: '72',
  },
  'termination-confirmed': { product: 'example.ch', productId: 'p1', expiry: '2026-12-31', terminationDate: '2026-12-31', requestedBy: 'Anna Muster' },
};

const email = (template: OutboxEmail['template'], data = DATA[template]): OutboxEmail => ({
  id: `p1#${template}`,
  date: '2026-12-01',
  orgId: 'o1',
  ...(data.productId ? { productId: data.productId } : {}),
  to: ['billing@customer.ch'],
  template,
  data,
  createdAt: '2026-12-01T02:00:00.000Z',
});
const ctx = (language: Language) => ({ language, seller: DEFAULT_SELLER, orgName: 'Acme Sàrl', portalUrl: 'https://portal.example.ch/' });

describe('the e-mails in the four languages', () => {
  it('has every template in every language', () => {
    const templates = Object.keys(DATA).sort();
    for (const language of LANGUAGES) expect(Object.keys(EMAIL_TEXTS[language].templates).sort()).toEqual(templates);
  });

  for (const language of LANGUAGES) {
    it(`renders each template in ${language} as text and HTML, with no value missing`, () => {
      for (const template of Object.keys(DATA) as OutboxEmail['template'][]) {
        const r = renderEmail(email(template), ctx(language));
        for (const part of [r.subject, r.text, r.html]) {
          expect(part, `${language} ${template}`).not.toMatch(/\bundefined\b|\bnull\b|\bNaN\b|\$\{|\{org\}/);
        }
        expect(r.subject.length).toBeGreaterThan(5);
        expect(r.html).toContain(`<html lang="${language}">`);
        expect(r.text).toContain(DEFAULT_SELLER.name);
        expect(r.text).toContain('Acme Sàrl');
        // The same paragraphs in both parts: each line of text (but the link) is in the HTML, escaped.
        for (const line of r.text.split('\n').filter((l) => l && !l.includes('http') && l !== '-- ')) {
          expect(r.html, `${language} ${template}: ${line}`).toContain(line.replace(/&/g, '&amp;').replace(/'/g, '&#39;').replace(/"/g, '&quot;'));
        }
      }
    });
  }

  it('says it in the customer language, with Swiss amounts and dates (texts written by hand)', () => {
    expect(renderEmail(email('renewal-paid'), ctx('fr')).subject).toBe("example.ch est renouvelé jusqu'au 31.12.2027");
    expect(renderEmail(email('renewal-paid'), ctx('fr')).text).toContain("Merci : le renouvellement de example.ch est payé (CHF 1'234.50, facture INV-CH-2026-000042).");
    expect(renderEmail(email('product-blocked'), ctx('de')).subject).toBe('example.ch ist gesperrt');
    expect(renderEmail(email('payment-failed'), ctx('it')).text).toContain(
      'Non abbiamo potuto addebitare il rinnovo di example.ch (scadenza il 31.12.2026): la carta è stata rifiutata.',
    );
    expect(renderEmail(email('payment-failed'), ctx('it')).text).toContain('Riproveremo il 20.12.2026.');
    expect(renderEmail(email('order-refunded'), ctx('en')).text).toContain(
      'Your order was canceled (the identity check was not completed within 10 days) and EUR 45.90 is refunded',
    );
  });

  it('asks to confirm a termination through its single-use link, and tells the administrators once confirmed (R-35)', () => {
    const ask = renderEmail(email('termination-confirm'), ctx('fr'));
    expect(ask.subject).toBe('Confirmez la résiliation de example.ch');
    expect(ask.text).toContain('Anna Muster a demandé la résiliation de example.ch au 31.12.2026.');
    expect(ask.text).toContain("Sans confirmation, rien n'est supprimé. Le lien ci-dessous est valable 72 heures et ne sert qu'une fois.");
    expect(ask.text).toContain('les sauvegardes sont supprimées définitivement');
    expect(ask.text).toContain('Les frais ouverts restent dus.');
    expect(ask.link).toBe('https://portal.example.ch/terminations/confirm?org=o1&product=p1&request=tr_1&token=tok-secret');
    const done = renderEmail(email('termination-confirmed'), ctx('de'));
    expect(done.subject).toBe('Kündigung von example.ch bestätigt');
    expect(done.text).toContain('Anna Muster hat die Kündigung von example.ch bestätigt: das Produkt wird am 31.12.2026 gekündigt.');
    expect(done.text).toContain('Offene Gebühren bleiben geschuldet.');
    expect(done.link).toBe('https://portal.example.ch/products?org=o1');
  });

  it('tells the termination that backups are gone for good and fees stay due (R-termination)', () => {
    const fr = renderEmail(email('product-terminated'), ctx('fr')).text;
    expect(fr).toContain('Ses sauvegardes sont supprimées définitivement');
    expect(fr).toContain('Les frais ouverts restent dus.');
    const kept = renderEmail(email('product-terminated', { ...DATA['product-terminated'], backupsDeleted: 'false' }), ctx('en')).text;
    expect(kept).not.toContain('backups');
    expect(kept).toContain('Open fees remain due.');
  });

  it('leaves out the sentence of a value the e-mail lacks', () => {
    const { nextAttempt: _n, ...lastTry } = DATA['payment-failed'];
    const text = renderEmail(email('payment-failed', lastTry), ctx('en')).text;
    expect(text).toContain('No further attempt is planned before it expires.');
    expect(text).not.toContain('try again');
  });

  it('prints a failure it has no words for as the provider wrote it', () => {
    const text = renderEmail(
      email('payment-failed', { ...DATA['payment-failed'], code: 'processing_error', reason: 'An error occurred while processing your card.' }),
      ctx('de'),
    ).text;
    expect(text).toContain(': An error occurred while processing your card..');
  });

  it('leads its button into the portal, for this organisation and product', () => {
    expect(renderEmail(email('renewal-reminder'), ctx('fr')).link).toBe('https://portal.example.ch/pay?org=o1&product=p1');
    expect(renderEmail(email('invoice-reopened'), ctx('fr')).link).toBe('https://portal.example.ch/pay?org=o1&invoice=INV-CH-2026-000044');
    expect(renderEmail(email('renewal-reminder'), { ...ctx('fr'), portalUrl: 'https://example.ch/customer' }).link).toBe('https://example.ch/customer/pay?org=o1&product=p1');
    expect(renderEmail(email('checkout-held'), ctx('fr')).link).toBeUndefined();
  });

  it('escapes what a customer typed: a product name is text in the HTML, never markup', () => {
    const r = renderEmail(email('product-blocked', { ...DATA['product-blocked'], product: '<img src=x onerror=alert(1)>' }), ctx('en'));
    expect(r.html).not.toContain('<img');
    expect(r.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});

describe('Swiss amounts', () => {
  it('groups thousands with an apostrophe, on the stored string', () => {
    expect(formatSwissAmount('0.50', 'CHF')).toBe('CHF 0.50');
    expect(formatSwissAmount('999.99', 'CHF')).toBe('CHF 999.99');
    expect(formatSwissAmount('1000.00', 'EUR')).toBe("EUR 1'000.00");
    expect(formatSwissAmount('1234567.05', 'CHF')).toBe("CHF 1'234'567.05");
    expect(formatSwissAmount('-1234.50', 'CHF')).toBe("CHF -1'234.50");
    // Digits beyond a float's precision stay as they are.
    expect(formatSwissAmount('12345678901234567.89', 'CHF')).toBe("CHF 12'345'678'901'234'567.89");
  });
});
