/**
 * Finance CSV export throughput and memory.
 *
 *   npx tsx bench/export-bench.ts [count] [--lines]
 *
 * Streams `count` synthetic invoices (default 100000) through writeInvoiceCsv
 * into a counting sink that keeps nothing, sampling RSS every 100 ms, and
 * prints one JSON object: { rows, seconds, rowsPerSecond, peakRssMb, ... }.
 */
import { Writable } from 'node:stream';
import { Decimal } from 'decimal.js';
import { writeInvoiceCsv } from '../shared/adapters/export/index.ts';
import { creditNoteFor, toInvoice, type Invoice } from '../shared/domain/invoice.ts';
import { Money } from '../shared/domain/money.ts';
import type { Organisation } from '../shared/domain/organisation.ts';
import { priceInvoice } from '../shared/domain/pricing.ts';
import { loadStageConfig } from '../shared/adapters/config/stage-config.ts';

/** The sample configuration's seller (config/sample.yaml). */
const DEFAULT_SELLER = loadStageConfig().seller;

const args = process.argv.slice(2);
const lines = args.includes('--lines');
const countArg = args.find((a) => !a.startsWith('--'));
const count = countArg === undefined ? 100_000 : Number(countArg);
if (!Number.isSafeInteger(count) || count < 0) {
  console.error(`count must be a whole number, got ${countArg}`);
  process.exit(2);
}

const org: Organisation = {
  id: 'acme',
  name: 'Établissements Müller & Fils, Genève',
  currency: 'CHF',
  country: 'CH',
  vatNumber: 'CHE-109.322.551',
  balance: '0.00',
  billingContacts: [],
  createdAt: '2026-01-01T00:00:00Z',
};
const priced = priceInvoice(
  [
    { description: 'Domain example.ch', productId: 'prod-1', periodFrom: '2026-12-31', periodTo: '2027-12-30', unitPrice: Money.of('13.00', 'CHF'), quantity: 1 },
    { description: 'Web hosting "Business", 12 months', productId: 'prod-2', unitPrice: Money.of('9.90', 'CHF'), quantity: 12 },
  ],
  { kind: 'domestic', rate: new Decimal('8.1'), country: 'CH' },
  'CHF',
);
const template = toInvoice(priced, { series: 'INV', seller: DEFAULT_SELLER, year: 2026, sequence: 1 }, org, '2026-12-10', [
  { method: 'balance', amount: Money.of('5.00', 'CHF') },
  { method: 'card', amount: priced.total.minus(Money.of('5.00', 'CHF')), ref: 'pi_3PqRsTuVwXyZ0123456789ab' },
]);
const note = creditNoteFor(template, { seller: DEFAULT_SELLER, year: 2026, sequence: 1 }, '2026-12-20', [{ method: 'card', amount: priced.total, ref: 're_1' }]);

/** Every tenth document is a credit note, so both signs go through the sums. */
async function* documents(): AsyncGenerator<Invoice> {
  for (let i = 1; i <= count; i += 1) {
    const base = i % 10 === 0 ? note : template;
    yield { ...base, number: `${base.series}-CH-2026-${String(i).padStart(6, '0')}`, sequence: i, orgId: `org-${i % 5000}` };
  }
}

let bytes = 0;
const sink = new Writable({
  write(chunk: Buffer, _enc, cb) {
    bytes += chunk.length;
    cb();
  },
});

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 100);

const started = process.hrtime.bigint();
const totals = await writeInvoiceCsv(documents(), sink, { lines });
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);

console.log(
  JSON.stringify({
    rows: totals.rows,
    seconds: Number(seconds.toFixed(3)),
    rowsPerSecond: Math.round(totals.rows / seconds),
    peakRssMb: Number((peakRss / 1024 / 1024).toFixed(1)),
    documents: totals.documents,
    mode: lines ? 'lines' : 'documents',
    csvMb: Number((bytes / 1024 / 1024).toFixed(1)),
    gross: totals.byCurrency.CHF?.gross,
  }),
);
