import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { isIsoDate } from '../../shared/domain/calendar.ts';
import { deliverEmail, deliverOutbox, type MailDeps, type OutboxSweep } from '../../shared/use-cases/mail/deliver-email.ts';
import { awsMailDeps } from '../aws-mail-runtime.ts';
import { lazyHandler, sqsConsumer } from '../entry-points.ts';
import { parseEmailRef } from '../messages.ts';

/** An operator's redrive, invoked by hand: every e-mail of that day not yet sent (docs/operations.md). */
export interface SendDayEvent {
  date: string;
}

/**
 * The mail queue's consumer: each message names one outbox e-mail, sent
 * once however often it is delivered (deliverEmail's claim). A message whose
 * e-mail another sender holds comes back later; one that fails (SES
 * refused, throttled) is counted on the e-mail and comes back, then goes to
 * the mail DLQ. Invoked with `{ "date": "YYYY-MM-DD" }` it sends that day's
 * unsent e-mails: what a lost stream record or a redrive leaves behind.
 */
export function makeSendEmailHandler(deps: MailDeps, logFailures = true) {
  const consume = sqsConsumer(async (body) => {
    const ref = parseEmailRef(body);
    const result = await deliverEmail(deps, ref);
    if (result === 'busy') throw new Error(`e-mail ${ref.date}/${ref.id} is being sent by another worker; retried after its claim`);
    if (result === 'missing') console.warn(JSON.stringify({ msg: 'mail queue names an e-mail the outbox does not hold', ...ref }));
    return result;
  }, logFailures);
  return async (event: SQSEvent | SendDayEvent, context: Context): Promise<SQSBatchResponse | OutboxSweep> => {
    if ('Records' in event) return consume(event, context);
    if (!isIsoDate(event?.date)) throw new Error(`expected an SQS batch or {"date":"YYYY-MM-DD"}, got ${JSON.stringify(event)}`);
    return deliverOutbox(deps, event.date);
  };
}

export const handler = lazyHandler(() => makeSendEmailHandler(awsMailDeps()));
