import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import type { OutboxEmail } from '../../../shared/domain/records.ts';
import type { Mailer, MailToSend } from '../../../shared/ports/mailer.ts';
import { CLAIM_SECONDS, deliverEmail, deliverOutbox } from '../../../shared/use-cases/mail/deliver-email.ts';
import { anOrg, runtime } from '../../support/local-stack.ts';

/** A mail service that records what it was given, and fails when told to. */
class RecordingMailer implements Mailer {
  sent: MailToSend[] = [];
  failNext = 0;
  async send(mail: MailToSend) {
    // A send takes a moment: two deliveries at once really overlap.
    await new Promise((r) => setTimeout(r, 5));
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('Throttling: Maximum sending rate exceeded.');
    }
    this.sent.push(mail);
    return { ref: `ses-${this.sent.length}` };
  }
}

const anEmail = (orgId: string, over: Partial<OutboxEmail> = {}): OutboxEmail => ({
  id: 'p1#renewal-paid',
  date: '2026-12-01',
  orgId,
  productId: 'p1',
  to: ['billing@acme.ch'],
  template: 'renewal-paid',
  data: { product: 'acme.ch', productId: 'p1', expiry: '2026-12-31', invoice: 'INV-CH-2026-000001', amount: '14.05', currency: 'CHF', newExpiry: '2027-12-31' },
  createdAt: '2026-12-01T02:00:00.000Z',
  ...over,
});

async function setUp() {
  const rt = await runtime('memory', { today: '2026-12-01' });
  await anOrg(rt, { id: 'acme' });
  const mailer = new RecordingMailer();
  const deps = { ...rt.deps, mailer };
  await rt.store.commit([{ type: 'email', email: anEmail('acme') }]);
  return { rt, deps, mailer };
}

describe('sending an outbox e-mail', () => {
  it('sends it once, however often and however concurrently it is delivered', async () => {
    const { rt, deps, mailer } = await setUp();
    const ref = { date: '2026-12-01', id: 'p1#renewal-paid' };
    const results = await Promise.all([deliverEmail(deps, ref), deliverEmail(deps, ref), deliverEmail(deps, ref)]);
    expect(results.sort()).toEqual(['busy', 'busy', 'sent']);
    expect(await deliverEmail(deps, ref)).toBe('already-sent');
    expect(mailer.sent).toHaveLength(1);
    expect(await rt.store.getEmail('2026-12-01', 'p1#renewal-paid')).toMatchObject({ sentAt: '2026-12-01T02:00:00.000Z', sentRef: 'ses-1' });
  });

  it('counts a failed send, frees it at once for the next delivery, and then sends it', async () => {
    const { rt, deps, mailer } = await setUp();
    mailer.failNext = 2;
    const ref = { date: '2026-12-01', id: 'p1#renewal-paid' };
    await expect(deliverEmail(deps, ref)).rejects.toThrow('Throttling');
    await expect(deliverEmail(deps, ref)).rejects.toThrow('Throttling');
    expect(await rt.store.getEmail(ref.date, ref.id)).toMatchObject({ failedAttempts: 2, lastError: 'Throttling: Maximum sending rate exceeded.' });
    expect(await deliverEmail(deps, ref)).toBe('sent');
    const after = await rt.store.getEmail(ref.date, ref.id);
    expect(after?.lastError).toBeUndefined();
    expect(after?.claimToken).toBeUndefined();
    expect(mailer.sent).toHaveLength(1);
  });

  it('takes over the claim of a sender that died, once it has run out', async () => {
    const { rt, deps, mailer } = await setUp();
    // A sender claimed it at 02:00 and was never heard of again.
    await rt.store.claimEmail('2026-12-01', 'p1#renewal-paid', { token: 'dead', now: '2026-12-01T02:00:00.000Z', until: '2026-12-01T02:02:00.000Z' });
    const ref = { date: '2026-12-01', id: 'p1#renewal-paid' };
    expect(await deliverEmail(deps, ref)).toBe('busy');
    const later = { ...deps, clock: { today: () => '2026-12-01', now: () => `2026-12-01T02:0${Math.ceil(CLAIM_SECONDS / 60) + 1}:00.000Z` } };
    expect(await deliverEmail(later, ref)).toBe('sent');
    // The dead sender coming back cannot mark it again.
    expect(await rt.store.finishEmail(ref.date, ref.id, 'dead', { sent: false, error: 'late' })).toBe(false);
    expect(mailer.sent).toHaveLength(1);
  });

  it("writes it in the organisation's language, signed by its seller", async () => {
    const { rt, deps, mailer } = await setUp();
    const org = (await rt.store.getOrganisation('acme'))!;
    await rt.store.commit([{ type: 'organisation', org: { ...org, language: 'de' }, isNew: false }]);
    await deliverEmail(deps, { date: '2026-12-01', id: 'p1#renewal-paid' });
    expect(mailer.sent[0]).toMatchObject({ language: 'de', orgName: 'Org acme', from: 'billing@example-hosting.ch', seller: { id: 'ch' } });
  });

  it('writes it as the e-mail says the organisation was, without reading it: gone since, it still goes', async () => {
    const rt = await runtime('memory', { today: '2026-12-01' });
    const mailer = new RecordingMailer();
    // No organisation "gone" in the store: only the e-mail knows it.
    await rt.store.commit([{ type: 'email', email: anEmail('gone', { recipient: { orgName: 'Gone AG', language: 'it' } }) }]);
    expect(await deliverEmail({ ...rt.deps, mailer }, { date: '2026-12-01', id: 'p1#renewal-paid' })).toBe('sent');
    expect(mailer.sent[0]).toMatchObject({ language: 'it', orgName: 'Gone AG', from: 'billing@example-hosting.ch', seller: { id: 'ch' } });
    // Without what it carries, the organisation is needed.
    await rt.store.commit([{ type: 'email', email: anEmail('gone', { id: 'p2#renewal-paid' }) }]);
    await expect(deliverEmail({ ...rt.deps, mailer }, { date: '2026-12-01', id: 'p2#renewal-paid' })).rejects.toThrow('Organisation gone of e-mail p2#renewal-paid does not exist');
  });

  it('records an e-mail without recipients as such and sends nothing', async () => {
    const { rt, deps, mailer } = await setUp();
    await rt.store.commit([{ type: 'email', email: anEmail('acme', { id: 'nobody', to: [] }) }]);
    expect(await deliverEmail(deps, { date: '2026-12-01', id: 'nobody' })).toBe('no-recipient');
    expect(mailer.sent).toHaveLength(0);
    expect(await rt.store.getEmail('2026-12-01', 'nobody')).toMatchObject({ sentRef: 'no recipient' });
  });

  it('sweeps a day: each unsent e-mail once, one failure not stopping the others', async () => {
    const { rt, deps, mailer } = await setUp();
    await rt.store.commit([
      { type: 'email', email: anEmail('acme', { id: 'p2#renewal-paid', productId: 'p2' }) },
      { type: 'email', email: anEmail('acme', { id: 'p3#renewal-paid', productId: 'p3' }) },
    ]);
    mailer.failNext = 1;
    const first = await deliverOutbox(deps, '2026-12-01');
    expect(first).toMatchObject({ sent: 2, alreadySent: 0 });
    expect(first.failed).toEqual([{ id: 'p1#renewal-paid', error: 'Throttling: Maximum sending rate exceeded.' }]);
    expect(await deliverOutbox(deps, '2026-12-01')).toEqual({ sent: 1, alreadySent: 2, busy: 0, failed: [] });
    expect(mailer.sent.map((m) => m.email.id).sort()).toEqual(['p1#renewal-paid', 'p2#renewal-paid', 'p3#renewal-paid']);
  });
});

describe('the .eml files of this machine', () => {
  it('is a MIME message any mail client reads: a text and an HTML part, in UTF-8, from the seller', async () => {
    const rt = await runtime('memory', { today: '2026-12-01' });
    await anOrg(rt, { id: 'acme' });
    await rt.store.commit([{ type: 'email', email: anEmail('acme', { to: ['a@acme.ch', 'b@acme.ch'] }) }]);
    expect(await deliverEmail(rt.deps, { date: '2026-12-01', id: 'p1#renewal-paid' })).toBe('sent');
    const stored = await rt.store.getEmail('2026-12-01', 'p1#renewal-paid');
    expect(stored?.sentRef).toBe('mail/2026-12-01/acme/p1_renewal-paid.eml');
    const outDir = (rt.deps.documents as unknown as { root: string }).root;
    // mailparser: an independent reader of RFC 5322 / MIME.
    const parsed = await simpleParser(readFileSync(join(outDir, stored!.sentRef!)));
    expect(parsed.subject).toBe("acme.ch est renouvelé jusqu'au 31.12.2027");
    expect(parsed.from?.value).toEqual([{ name: 'Example Hosting SA', address: 'billing@example-hosting.ch' }]);
    expect((Array.isArray(parsed.to) ? parsed.to : [parsed.to]).flatMap((t) => t?.value.map((v) => v.address))).toEqual(['a@acme.ch', 'b@acme.ch']);
    expect(parsed.text).toContain('Merci : le renouvellement de acme.ch est payé (CHF 14.05, facture INV-CH-2026-000001).');
    expect(parsed.html).toContain('<html lang="fr">');
    expect(parsed.headers.get('x-billing-outbox')).toBe('2026-12-01/p1#renewal-paid');
    expect(parsed.messageId).toMatch(/^<[0-9a-f]{32}@example-hosting\.ch>$/);
  });
});
