import { appendFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BusinessEvent } from '../../domain/business-events.ts';
import type { EventPublisher } from '../../ports/event-publisher.ts';

/**
 * The local event log: one JSON event per line (the CloudEvents envelope
 * of docs/events.md) in `<out>/events/<date>.ndjson`, by the event's
 * UTC date, appended in publication order. What a provider's system would
 * read off the bus in AWS.
 */
export class NdjsonEventLog implements EventPublisher {
  readonly root: string;
  constructor(outDir: string) {
    this.root = resolve(outDir, 'events');
  }

  fileOf(date: string): string {
    return join(this.root, `${date}.ndjson`);
  }

  async publish(events: BusinessEvent[]): Promise<void> {
    if (events.length === 0) return;
    await mkdir(this.root, { recursive: true });
    const byDate = new Map<string, string[]>();
    for (const e of events) byDate.set(e.time.slice(0, 10), [...(byDate.get(e.time.slice(0, 10)) ?? []), JSON.stringify(e)]);
    // One append per file: a line is never split between two writers of this process.
    for (const [date, lines] of byDate) await appendFile(this.fileOf(date), `${lines.join('\n')}\n`);
  }
}
