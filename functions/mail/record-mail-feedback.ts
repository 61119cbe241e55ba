import type { EventBridgeEvent } from 'aws-lambda';
import { readSesFeedback } from '../../shared/adapters/mail/ses-feedback.ts';
import type { OutboxStore } from '../../shared/ports/outbox-store.ts';
import { awsOutboxStore } from '../aws-mail-runtime.ts';
import { lazyHandler } from '../entry-points.ts';

export type FeedbackResult = 'recorded' | 'duplicate-or-unknown' | 'ignored';

/**
 * SES's bounce and complaint reports (the configuration set's EventBridge
 * destination) recorded on the outbox e-mail they concern, once each: a
 * report delivered twice is recorded once. Mail the engine did not send is
 * ignored, said in the log. A failure makes Lambda retry the event, then
 * park it on the mail DLQ.
 */
export function makeRecordMailFeedbackHandler(store: Pick<OutboxStore, 'recordEmailFeedback'>) {
  return async (event: EventBridgeEvent<string, unknown>): Promise<FeedbackResult> => {
    const read = readSesFeedback(event.detail);
    if ('ignored' in read) {
      console.info(JSON.stringify({ msg: 'SES event ignored', id: event.id, why: read.ignored }));
      return 'ignored';
    }
    const recorded = await store.recordEmailFeedback(read.date, read.id, read.feedback);
    console.info(JSON.stringify({ msg: 'SES feedback', date: read.date, id: read.id, type: read.feedback.type, recorded }));
    return recorded ? 'recorded' : 'duplicate-or-unknown';
  };
}

export const handler = lazyHandler(() => makeRecordMailFeedbackHandler(awsOutboxStore()));
