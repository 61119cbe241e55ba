/**
 * SES's bounce and complaint reports (event publishing of the configuration
 * set, delivered by EventBridge as "Email Bounced" / "Email Complaint
 * Received"), read into the outbox e-mail they are about. The outbox key
 * travels in the message's tags (ses-mailer.ts).
 */
import * as z from 'zod';
import type { IsoDate } from '../../domain/calendar.ts';
import type { EmailFeedback } from '../../domain/records.ts';
import { decodeTagValue, OUTBOX_TAGS } from './ses-mailer.ts';

const Recipients = z.array(z.object({ emailAddress: z.string() })).default([]);

const SesEventRecord = z.object({
  eventType: z.string(),
  mail: z.object({ messageId: z.string(), tags: z.record(z.string(), z.array(z.string())).default({}) }),
  bounce: z.object({ bounceType: z.string(), bounceSubType: z.string().optional(), bouncedRecipients: Recipients, timestamp: z.string(), feedbackId: z.string() }).optional(),
  complaint: z
    .object({
      complainedRecipients: Recipients,
      timestamp: z.string(),
      feedbackId: z.string(),
      complaintFeedbackType: z.string().optional(),
      complaintSubType: z.string().nullish(),
    })
    .optional(),
});

export type SesFeedback = { date: IsoDate; id: string; feedback: EmailFeedback } | { ignored: string };

/** An EventBridge event's `detail`, or an SNS message's JSON: the same record. */
export function readSesFeedback(detail: unknown): SesFeedback {
  const parsed = SesEventRecord.safeParse(detail);
  if (!parsed.success) return { ignored: `not an SES event record: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  const r = parsed.data;
  const date = r.mail.tags[OUTBOX_TAGS.date]?.[0];
  const id = r.mail.tags[OUTBOX_TAGS.id]?.[0];
  // Mail the engine did not send (another application on the account) carries no outbox tags.
  if (!date || !id) return { ignored: `message ${r.mail.messageId} carries no outbox tags` };
  const key = { date, id: decodeTagValue(id) };
  if (r.eventType === 'Bounce' && r.bounce) {
    const b = r.bounce;
    return {
      ...key,
      feedback: {
        id: b.feedbackId,
        type: 'bounce',
        subType: b.bounceSubType ? `${b.bounceType}/${b.bounceSubType}` : b.bounceType,
        recipients: b.bouncedRecipients.map((x) => x.emailAddress),
        at: b.timestamp,
      },
    };
  }
  if (r.eventType === 'Complaint' && r.complaint) {
    const c = r.complaint;
    return {
      ...key,
      feedback: {
        id: c.feedbackId,
        type: 'complaint',
        ...(c.complaintFeedbackType ? { subType: c.complaintFeedbackType } : {}),
        recipients: c.complainedRecipients.map((x) => x.emailAddress),
        at: c.timestamp,
      },
    };
  }
  return { ignored: `event ${r.eventType} is neither a bounce nor a complaint` };
}
