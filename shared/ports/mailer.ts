import type { Language } from '../domain/organisation.ts';
import type { OutboxEmail } from '../domain/records.ts';
import type { Seller } from '../domain/seller.ts';

/** One outbox e-mail with what its words depend on: the organisation's language and name, and the seller that signs it. */
export interface MailToSend {
  email: OutboxEmail;
  language: Language;
  orgName: string;
  seller: Seller;
  /** The sender's address (the seller's, or the stage's `mail.from`). */
  from: string;
  /** Files the e-mail carries: the document it announces, as kept, when the organisation asked for it. */
  attachments?: { filename: string; contentType: string; content: Buffer }[];
}

/**
 * Sends e-mails: SES in AWS, `.eml` files on this machine. It writes the
 * words (templates in the four languages) and sends; knowing whether an
 * e-mail went out already is the outbox's part, not the mailer's.
 */
export interface Mailer {
  /** Resolves with the mail service's id of the message once it has taken it. */
  send(mail: MailToSend): Promise<{ ref: string }>;
}
