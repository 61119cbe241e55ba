/**
 * Sends what the outbox holds, once per e-mail. The e-mails are written with
 * the changes that cause them; a consumer (DynamoDB Streams through the mail
 * queue in AWS, the sweep here) hands each one to deliverEmail, as often as
 * it is delivered. A claim on the e-mail makes a second delivery, or a
 * second sender at the same moment, do nothing; a claim whose sender died
 * runs out after CLAIM_SECONDS and the next delivery sends it.
 *
 * What is left: a sender that dies after the mail service took the message
 * and before it records so sends it again on the next delivery. No mail
 * service takes an idempotency key, so that window (one call's return) is
 * the one place an e-mail may go out twice; it never goes out zero times.
 */
import { addSeconds } from '../../domain/calendar.ts';
import type { IsoDate } from '../../domain/calendar.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { OrganisationReads } from '../../ports/billing-store.ts';
import type { Clock } from '../../ports/clock.ts';
import { emailRecipient, type EmailRecipient } from '../../domain/records.ts';
import type { IdGenerator } from '../../ports/ids.ts';
import type { Mailer, MailToSend } from '../../ports/mailer.ts';
import type { DocumentArchive } from '../../ports/documents.ts';
import { archiveKey } from '../finance/archive-documents.ts';
import type { OutboxStore } from '../../ports/outbox-store.ts';
import { sellerOfOrg, type SellerDeps } from '../sellers.ts';

/** Longer than one send takes, shorter than the mail queue's visibility timeout: a retry finds the claim run out. */
export const CLAIM_SECONDS = 120;

export interface MailDeps extends SellerDeps {
  store: OutboxStore & Pick<OrganisationReads, 'getOrganisation'>;
  mailer: Mailer;
  clock: Clock;
  ids: IdGenerator;
  /** The stage's sender address, for sellers that have none of their own. */
  mailFrom?: string;
  /** Where issued documents are kept: e-mails of organisations that receive them attach them from there. */
  archive?: Pick<DocumentArchive, 'get'>;
}

export type DeliveryResult = 'sent' | 'already-sent' | 'busy' | 'missing' | 'no-recipient';

export interface EmailRef {
  date: IsoDate;
  id: string;
}

export async function deliverEmail(deps: MailDeps, ref: EmailRef): Promise<DeliveryResult> {
  const now = deps.clock.now();
  const token = deps.ids.next('claim');
  const claim = await deps.store.claimEmail(ref.date, ref.id, { token, now, until: addSeconds(now, CLAIM_SECONDS) });
  if (claim.status === 'missing') return 'missing';
  if (claim.status === 'sent') return 'already-sent';
  if (claim.status === 'busy') return 'busy';
  const email = claim.email;
  if (email.to.length === 0) {
    // An organisation without billing contacts: nobody to write to; recorded so, not retried for ever.
    await deps.store.finishEmail(ref.date, ref.id, token, { sent: true, at: now, ref: 'no recipient' });
    return 'no-recipient';
  }
  try {
    const recipient = email.recipient ?? (await recipientRead(deps, email.orgId, ref.id));
    const seller = sellerOfOrg(deps, { id: email.orgId, ...(recipient.sellerId ? { sellerId: recipient.sellerId } : {}) });
    const from = seller.email ?? deps.mailFrom;
    if (!from) throw new Error(`seller ${seller.id} has no e-mail address and the configuration sets no mail.from`);
    const attachments = recipient.attach && email.data.invoice ? await keptAttachments(deps, email.data.invoice, seller.id, recipient.attach.profiles) : [];
    const sent = await deps.mailer.send({ email, language: recipient.language, orgName: recipient.orgName, seller, from, ...(attachments.length ? { attachments } : {}) });
    await deps.store.finishEmail(ref.date, ref.id, token, { sent: true, at: deps.clock.now(), ref: sent.ref });
    return 'sent';
  } catch (err) {
    // Counted and freed at once: the queue's next delivery tries again without waiting for the claim to run out.
    await deps.store.finishEmail(ref.date, ref.id, token, { sent: false, error: (err as Error).message });
    throw err;
  }
}

/**
 * docs/domain.md: the document an e-mail names, as kept at issue: its PDF and the e-invoices of the
 * profiles asked for. The archive's worker keeps the PDF last, so a PDF kept means its e-invoices are too (or
 * were left out, the document not being writable in that profile). Not kept yet: this delivery fails and the
 * queue tries again, so the e-mail never goes without what the organisation asked for.
 */
async function keptAttachments(deps: MailDeps, number: string, sellerId: string, profiles: readonly ('peppol' | 'xrechnung')[]): Promise<NonNullable<MailToSend['attachments']>> {
  if (!deps.archive) throw new Error(`e-mail names document ${number} to attach, and this sender has no archive to read it from`);
  const year = /-(\d{4})-\d+$/.exec(number)?.[1];
  if (!year) throw new Error(`e-mail names ${number}, which is not a document number`);
  const doc = { sellerId, year: Number(year), number };
  const pdf = await deps.archive.get(archiveKey(doc, 'pdf'));
  if (!pdf) throw new Error(`document ${number} is not kept yet: the e-mail waits for it`);
  const out = [{ filename: `${number}.pdf`, contentType: 'application/pdf', content: pdf }];
  for (const profile of profiles) {
    const xml = await deps.archive.get(archiveKey(doc, profile));
    if (xml) out.push({ filename: `${number}.${profile}.xml`, contentType: 'application/xml', content: xml });
  }
  return out;
}

async function recipientRead(deps: MailDeps, orgId: string, emailId: string): Promise<EmailRecipient> {
  const org = await deps.store.getOrganisation(orgId);
  if (!org) throw new NotFoundError(`Organisation ${orgId} of e-mail ${emailId} does not exist`, 'organisation_not_found');
  return emailRecipient(org);
}

export interface OutboxSweep {
  sent: number;
  alreadySent: number;
  busy: number;
  failed: { id: string; error: string }[];
}

/** How many e-mails of a sweep are in flight at once: the claims keep them apart, the mail service's pace bounds it. */
export const SWEEP_CONCURRENCY = 8;

/** Every unsent e-mail of a day, each on its own: one that fails is counted and the others still go. */
export async function deliverOutbox(deps: MailDeps, date: IsoDate, concurrency = SWEEP_CONCURRENCY): Promise<OutboxSweep> {
  const result: OutboxSweep = { sent: 0, alreadySent: 0, busy: 0, failed: [] };
  const unsent: string[] = [];
  for (const email of await deps.store.listOutbox(date)) {
    if (email.sentAt) result.alreadySent++;
    else unsent.push(email.id);
  }
  let next = 0;
  const worker = async () => {
    while (next < unsent.length) {
      const id = unsent[next++]!;
      try {
        const r = await deliverEmail(deps, { date, id });
        if (r === 'sent' || r === 'no-recipient') result.sent++;
        else if (r === 'already-sent') result.alreadySent++;
        else if (r === 'busy') result.busy++;
      } catch (err) {
        result.failed.push({ id, error: (err as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, unsent.length) }, worker));
  result.failed.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return result;
}
