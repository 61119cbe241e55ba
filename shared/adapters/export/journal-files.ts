/**
 * The journal as files (shared/domain/journal.ts): a generic CSV, one booking
 * per row (the export's CSV conventions: UTF-8 with BOM, RFC 4180, CRLF,
 * formula starts defused), and the tab-separated text Banana Accounting
 * imports into its Transactions table ("Text file with column headers":
 * its NameXml column names on the first line, dates YYYY-MM-DD, UTF-8).
 *
 * Banana computes a transaction's VAT from its VatCode, so there a document's
 * net and VAT at one rate go on one line, gross, with the code (Banana's
 * VAT codes are "amount including VAT" unless set otherwise); Amount is CHF
 * (the accounting currency), AmountCurrency the document's.
 */
import { Decimal } from 'decimal.js';
import { stringify } from 'csv-stringify';
import type { Writable } from 'node:stream';
import type { Booking } from '../../domain/journal.ts';
import { text } from './invoice-csv.ts';
import { pipeInto } from './stream-util.ts';

export const JOURNAL_COLUMNS = [
  'date',
  'document',
  'kind',
  'description',
  'debit_account',
  'credit_account',
  'vat_code',
  'vat_rate',
  'reverse_charge',
  'export',
  'amount',
  'currency',
  'exchange_rate',
  'chf_amount',
  'due_date',
  'payment_date',
  'payment_reference',
  'open_amount',
] as const;

export const BANANA_COLUMNS = [
  'Date',
  'Doc',
  'DateDocument',
  'Description',
  'AccountDebit',
  'AccountCredit',
  'Amount',
  'VatCode',
  'AmountCurrency',
  'ExchangeCurrency',
  'ExchangeRate',
] as const;

function csvRow(b: Booking): string[] {
  return [
    b.date,
    text(b.document),
    b.kind,
    text(b.description),
    b.debit,
    b.credit,
    b.vatCode,
    b.vatRate,
    b.vatCase === 'reverse-charge' ? 'yes' : 'no',
    b.vatCase === 'export' ? 'yes' : 'no',
    b.amount,
    b.currency,
    b.exchangeRate,
    b.chf,
    b.dueDate,
    b.paymentDate,
    text(b.paymentReference),
    b.openAmount,
  ];
}

/** Writes the bookings as the generic CSV; resolves with the number of rows. */
export async function writeJournalCsv(bookings: AsyncIterable<Booking>, out: Writable): Promise<number> {
  const csv = stringify({ bom: true, record_delimiter: '\r\n', quoted_match: /[,"\r\n]/ });
  const pipe = pipeInto(csv, out);
  let rows = 0;
  if (!csv.write([...JOURNAL_COLUMNS])) await pipe.waitForRoom();
  for await (const b of bookings) {
    rows++;
    if (!csv.write(csvRow(b))) await pipe.waitForRoom();
  }
  await pipe.finish();
  return rows;
}

/** Tabs and line breaks end a Banana field or record: a description keeps its words, never them. */
const field = (s: string) => s.replace(/[\t\r\n]+/g, ' ');

/**
 * Writes the bookings as Banana's import text: a document's revenue and VAT bookings of one code become one
 * gross line (they come one after the other from bookingsOf); payments stay lines of their own.
 */
export async function writeJournalBanana(bookings: AsyncIterable<Booking>, out: Writable): Promise<number> {
  const lines: string[] = [BANANA_COLUMNS.join('\t')];
  let pending: { b: Booking; amount: Decimal; chf: Decimal } | undefined;
  const flush = () => {
    if (!pending) return;
    const { b, amount, chf } = pending;
    lines.push([b.date, field(b.document), b.date, field(b.description), b.debit, b.credit, chf.toFixed(2), b.vatCode, amount.toFixed(2), b.currency, b.exchangeRate].join('\t'));
    pending = undefined;
  };
  let rows = 0;
  for await (const b of bookings) {
    if (b.kind === 'vat' && pending && pending.b.document === b.document && pending.b.vatCode === b.vatCode) {
      pending.amount = pending.amount.plus(b.amount);
      pending.chf = pending.chf.plus(b.chf);
      continue;
    }
    flush();
    rows++;
    if (b.kind === 'payment') lines.push([b.date, field(b.document), b.date, field(b.description), b.debit, b.credit, b.chf, '', b.amount, b.currency, b.exchangeRate].join('\t'));
    else pending = { b, amount: new Decimal(b.amount), chf: new Decimal(b.chf) };
    if (lines.length >= 1000) {
      if (!out.write(`${lines.join('\n')}\n`)) await new Promise((resolve) => out.once('drain', resolve));
      lines.length = 0;
    }
  }
  flush();
  await new Promise<void>((resolve, reject) => out.end(`${lines.join('\n')}${lines.length ? '\n' : ''}`, (err?: Error | null) => (err ? reject(err) : resolve())));
  return rows;
}
