import { Option, type Command } from 'commander';
import { BUSINESS_EVENT_TYPES, businessTypeOf, type BusinessEventType } from '../../../shared/domain/business-events.ts';
import { ValidationError } from '../../../shared/domain/errors.ts';
import { dateArg, type Ctx } from '../context.ts';
import { table } from '../output.ts';

export function registerEventCommands(program: Command, c: Ctx): void {
  const events = program.command('events').description('the business events (docs/events.md): product renewed, blocked, invoice issued, ...');
  events
    .command('list')
    .description("a day's events, as published to the local log (out/events/<date>.ndjson)")
    .addOption(new Option('--date <date>', 'the day (default: today)').argParser(dateArg('--date')))
    .addOption(new Option('--type <type>', `only this type (${BUSINESS_EVENT_TYPES.join(', ')})`))
    .action(async (o: { date?: string; type?: string }) => {
      if (o.type && !(BUSINESS_EVENT_TYPES as readonly string[]).includes(o.type)) {
        throw new ValidationError(`--type must be one of ${BUSINESS_EVENT_TYPES.join(', ')}, got "${o.type}"`);
      }
      const date = o.date ?? c().today();
      const records = await c().withRuntime((rt) => rt.store.listEventRecords(date));
      const found = records
        .flatMap((r) => r.events.map((e) => ({ event: e, published: r.publishedAt ?? '' })))
        .filter(({ event }) => !o.type || businessTypeOf(event) === (o.type as BusinessEventType));
      const rows = found.map(({ event, published }) => ({ time: event.time, type: event.type, subject: event.subject, id: event.id, published }));
      // As JSON: the envelopes themselves, exactly as the log and the bus carry them.
      c().print(
        table(rows, ['time', 'type', 'subject', 'published']),
        found.map(({ event }) => event),
      );
    });
  events
    .command('schema')
    .description('print the JSON Schema of the events (also in docs/events.schema.json)')
    .action(async () => {
      const { businessEventJsonSchema } = await import('../../../shared/adapters/events/event-schema.ts');
      const schema = businessEventJsonSchema();
      c().print(JSON.stringify(schema, null, 2), schema);
    });
}
