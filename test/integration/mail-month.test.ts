import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { runNight } from '../../functions/local-runtime.ts';
import { datesBetween } from '../../shared/domain/calendar.ts';
import type { Language } from '../../shared/domain/organisation.ts';
import type { Mailer } from '../../shared/ports/mailer.ts';
import { addPaymentMethod, createOrganisation } from '../../shared/use-cases/manage-organisation.ts';
import { topUpBalance } from '../../shared/use-cases/top-up-balance.ts';
import { aProduct, runtime, useDynamoDbLocal } from '../support/local-stack.ts';

const db = useDynamoDbLocal();

/*
 * A month of nights (2026-12-01 to 12-30) for four organisations, one per language, .ch domains
 * (reminders 30, 7 and 1 days before expiry; first attempt 14 days before; retries 3, 7, 10 and 13 days
 * after it; blocked on the expiry date). What each should receive, worked out by hand from those rules:
 */
const EXPECTED: Record<Language, [string, string][]> = {
  // a.ch, 2026-12-31, renews from a balance of 100: the 30-day notice on 12-01, paid on 12-17 (14 days before).
  fr: [
    ['2026-12-01', 'auto-renewal-notice'],
    ['2026-12-17', 'renewal-paid'],
  ],
  // b.ch, 2026-12-20, a card that is declined: attempts on 12-06, 12-09, 12-13, 12-16 and 12-19 (no reminder on a
  // night that already told of a failure), blocked on 12-20.
  de: [
    ['2026-12-06', 'payment-failed'],
    ['2026-12-09', 'payment-failed'],
    ['2026-12-13', 'payment-failed'],
    ['2026-12-16', 'payment-failed'],
    ['2026-12-19', 'payment-failed'],
    ['2026-12-20', 'product-blocked'],
  ],
  // c.ch, 2026-12-25, no automatic renewal: reminders 7 days and 1 day before, blocked on 12-25.
  it: [
    ['2026-12-18', 'renewal-reminder'],
    ['2026-12-24', 'renewal-reminder'],
    ['2026-12-25', 'product-blocked'],
  ],
  // d.ch, 2026-12-28, a card that pays: charged on 12-14; its 30-day notice (11-28) is before the month.
  en: [['2026-12-14', 'renewal-paid']],
};

describe('a month of e-mails', () => {
  it("lands under out/mail/ as .eml files, each once, in the customer's language, even with every delivery made twice", async () => {
    const rt = await runtime(db.endpoint(), { today: '2026-11-30', duplicateDeliveries: true });
    const orgs: [Language, string, string | undefined, string | undefined, boolean][] = [
      ['fr', 'a', undefined, '100.00', true],
      ['de', 'b', 'pm_card_chargeDeclined', undefined, true],
      ['it', 'c', undefined, undefined, false],
      ['en', 'd', 'pm_card_visa', undefined, true],
    ];
    const expiry: Record<string, string> = { a: '2026-12-31', b: '2026-12-20', c: '2026-12-25', d: '2026-12-28' };
    for (const [language, product, card, balance, autoRenew] of orgs) {
      await createOrganisation(rt.deps, {
        id: `org-${language}`,
        name: `Kunde ${language}`,
        currency: 'CHF',
        country: 'CH',
        language,
        owner: { userId: `u-${language}`, email: `owner@${language}.example`, name: 'Owner' },
      });
      const method = card ? await addPaymentMethod(rt.deps, `org-${language}`, { kind: 'card', label: card, gatewayRef: card }) : undefined;
      if (balance) await topUpBalance(rt.deps, `org-${language}`, { amount: balance, reference: `dep-${language}` });
      await aProduct(rt, `org-${language}`, { id: product, expiry: expiry[product]!, autoRenew, ...(method ? { paymentMethodId: method.id } : {}) });
    }
    // Counts what reaches the mail service, around the .eml writer.
    const sends: string[] = [];
    const files = rt.deps.mailer;
    const counting: Mailer = { send: (mail) => (sends.push(`${mail.email.date}/${mail.email.id}`), files.send(mail)) };
    rt.deps.mailer = counting;

    for (const night of datesBetween('2026-12-01', '2026-12-30')) await runNight(rt, night);

    const outDir = (rt.deps.documents as unknown as { root: string }).root;
    const mailDir = join(outDir, 'mail');
    for (const [language, received] of Object.entries(EXPECTED)) {
      const got: [string, string][] = [];
      for (const date of readdirSync(mailDir).sort()) {
        const orgDir = join(mailDir, date, `org-${language}`);
        if (!existsSync(orgDir)) continue;
        const names = readdirSync(orgDir).sort();
        for (const name of names) {
          const mail = await simpleParser(readFileSync(join(mailDir, date, `org-${language}`, name)));
          expect(mail.headers.get('content-language')).toBe(language);
          expect(mail.to && !Array.isArray(mail.to) ? mail.to.value.map((v) => v.address) : []).toEqual([`owner@${language}.example`]);
          got.push([date, String(mail.headers.get('x-billing-template'))]);
        }
      }
      expect(got, language).toEqual(received);
    }
    // Each e-mail reached the mail service once, although every night delivered each twice.
    const total = Object.values(EXPECTED).flat().length;
    expect(sends).toHaveLength(total);
    expect(new Set(sends).size).toBe(total);

    // The subjects, as a reader of each language expects them (written by hand).
    const subject = async (language: string, date: string, file: string) => (await simpleParser(readFileSync(join(mailDir, date, `org-${language}`, file)))).subject;
    expect(await subject('fr', '2026-12-17', 'a_renewal-paid.eml')).toBe("a.ch est renouvelé jusqu'au 31.12.2027");
    expect(await subject('de', '2026-12-20', 'b_product-blocked.eml')).toBe('b.ch ist gesperrt');
    expect(await subject('it', '2026-12-18', 'c_renewal-reminder.eml')).toBe('c.ch scade il 25.12.2026');
    expect(await subject('en', '2026-12-14', 'd_renewal-paid.eml')).toBe('d.ch is renewed until 28 December 2027');
    await rt.close();
  });
});
