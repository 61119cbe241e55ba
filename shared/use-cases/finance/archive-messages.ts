import type { BusinessEvent } from '../../domain/business-events.ts';
import type { EventPublisher } from '../../ports/event-publisher.ts';
import type { MessageQueue } from '../../ports/message-queue.ts';

/** One document to keep as issued (docs/domain.md R-30): the archive queue's message. */
export interface ArchiveMessage {
  number: string;
}

/** The documents to keep among business events: each final invoice and credit note issued. */
export function archiveMessagesOf(events: readonly BusinessEvent[]): ArchiveMessage[] {
  return events.flatMap((e) => (e.type === 'billing.invoice.issued.v1' && e.data.series !== 'PRO' ? [{ number: e.data.number }] : []));
}

/**
 * Publishes as `next` does, then queues the documents issued to be kept: a failure of either publishes
 * the events again, with the same ids, and the archive's worker finds what it kept already.
 */
export function archivingIssued(next: EventPublisher, queue: Pick<MessageQueue<ArchiveMessage>, 'send'>): EventPublisher {
  return {
    async publish(events: BusinessEvent[]) {
      await next.publish(events);
      const documents = archiveMessagesOf(events);
      if (documents.length > 0) await queue.send(documents);
    },
  };
}
