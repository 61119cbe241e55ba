import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { systemClock } from '../../../shared/adapters/system-clock.ts';
import { FetchWebhookTransport } from '../../../shared/adapters/webhooks/fetch-webhook-transport.ts';
import { newWebhookSecret, StandardWebhookSigner } from '../../../shared/adapters/webhooks/standard-webhook-signer.ts';
import { deliverEvent, eventsOfDay } from '../../../shared/use-cases/events/deliver-webhooks.ts';
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

/** The data folder's signing secret, made once (like the token key) and readable by its owner only. */
function webhookSecret(home: string): string {
  const file = join(resolve(home), 'webhook-secret');
  mkdirSync(resolve(home), { recursive: true });
  try {
    writeFileSync(file, newWebhookSecret(), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readFileSync(file, 'utf8').trim();
}

export function registerWebhookCommands(program: Command, c: Ctx): void {
  const webhooks = program.command('webhooks').description('signed outbound webhooks: business events POSTed to your endpoint (docs/events.md)');
  webhooks
    .command('secret')
    .description("print this data folder's signing secret (whsec_...), for your receiver to verify with")
    .action(async () => {
      const secret = webhookSecret(c().opts.home);
      c().print(secret, { secret });
    });
  webhooks
    .command('send')
    .description("POST a day's events (or one, by --id: a replay) to an endpoint, signed; prints what each answered")
    .requiredOption('--url <url>', 'the endpoint (http or https)')
    .addOption(new Option('--date <date>', 'the day (default: today)').argParser(dateArg('--date')))
    .option('--id <eventId>', 'only this event (a replay)')
    .action(async (o: { url: string; date?: string; id?: string }) => {
      let url: URL;
      try {
        url = new URL(o.url);
      } catch {
        throw new ValidationError(`--url must be an http or https URL, got "${o.url}"`);
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ValidationError(`--url must be an http or https URL, got "${o.url}"`);
      const date = o.date ?? c().today();
      const signer = new StandardWebhookSigner(webhookSecret(c().opts.home));
      const results = await c().withRuntime(async (rt) => {
        const events = await eventsOfDay(rt.store, date, o.id);
        // Signed at the real instant of sending, whatever --today says: receivers refuse a timestamp minutes off.
        const deps = { transport: new FetchWebhookTransport(), signer, clock: systemClock() };
        const out = [];
        // In order, one at a time: a receiver sees one commit's events in the order they happened.
        for (const event of events) out.push(await deliverEvent(deps, url.toString(), event));
        return out;
      });
      const rows = results.map((r) => ({ id: r.eventId, type: r.type, delivered: r.delivered ? 'yes' : 'no', answer: r.delivered ? String(r.status) : r.error }));
      c().print(table(rows, ['id', 'type', 'delivered', 'answer']), results);
      if (results.some((r) => !r.delivered)) process.exitCode = 1;
    });
}
