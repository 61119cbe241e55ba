import type { IsoDate } from '../domain/calendar.ts';
import type { EmailFeedback, OutboxEmail } from '../domain/records.ts';

/** What taking an e-mail for sending found. */
export type EmailClaim =
  | { status: 'claimed'; email: OutboxEmail }
  /** Sent already: a second delivery of the same e-mail. */
  | { status: 'sent'; email: OutboxEmail }
  /** Another sender holds it and its claim has not run out. */
  | { status: 'busy'; email: OutboxEmail }
  | { status: 'missing' };

export type EmailDeliveryOutcome = { sent: true; at: string; ref: string } | { sent: false; error: string };

/**
 * The outbox as the mail sender uses it. The e-mails themselves are written
 * with the changes that cause them (a renewal, a payment), in the same
 * transaction; sending them is this port's part.
 */
export interface OutboxStore {
  listOutbox(date: IsoDate): Promise<OutboxEmail[]>;
  getEmail(date: IsoDate, id: string): Promise<OutboxEmail | undefined>;
  /**
   * Takes an unsent e-mail for one sender until `until` (ISO instant):
   * an e-mail sent, or held by a claim that has not run out at `now`, is not taken.
   */
  claimEmail(date: IsoDate, id: string, claim: { token: string; now: string; until: string }): Promise<EmailClaim>;
  /** Ends the claim `token` holds: sent (for good), or failed (counted, free for the next attempt). False if that claim was lost. */
  finishEmail(date: IsoDate, id: string, token: string, outcome: EmailDeliveryOutcome): Promise<boolean>;
  /** A bounce or complaint, recorded once per report id; false if it was recorded already or the e-mail is unknown. */
  recordEmailFeedback(date: IsoDate, id: string, feedback: EmailFeedback): Promise<boolean>;
}
