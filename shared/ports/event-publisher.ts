import type { BusinessEvent } from '../domain/business-events.ts';

/** Where business events go out: the local event log, an EventBridge bus. */
export interface EventPublisher {
  /** All or nothing as far as the caller knows: a rejection means "publish these again". */
  publish(events: BusinessEvent[]): Promise<void>;
}
