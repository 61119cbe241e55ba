import { Writable } from 'node:stream';
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DOCUMENT_COLUMNS, ExportIntegrityError, LINE_COLUMNS, PAYMENT_METHODS, writeInvoiceCsv, type ExportOptions } from '../../../shared/adapters/export/index.ts';
import type { Invoice } from '../../../shared/domain/invoice.ts';
import { Money } from '../../../shared/domain/money.ts';
import { collector, creditNote, documentsArb, fromArray, invoice, org, readCsv } from './fixtures.ts';

async function exportCsv(docs: Invoice[], opts: ExportOptions = { lines: false }) {
  const sink = collector();
  const totals = await writeInvoiceCsv(fromArray(docs), sink.stream, opts);
  return { totals, buffer: sink.buffer(), ...readCsv(sink.buffer()) };
}

/** Sums a column with decimal.js, per currency. */
/** Summed as finance would: invoices and credit notes, not the pro-formas they settle. */
function columnSum(records: Record<string, string>[], column: string, currency: string): string {
  return records
    .filter((r) => r.currency === currency && !r.number!.startsWith('PRO-'))
    .reduce((acc, r) => acc.plus(new Decimal(r[column]!)), new Decimal(0))
    .toFixed(2);
}

const sumOf = (values: string[]) => values.reduce((acc, v) => acc.plus(new Decimal(v)), new Decimal(0)).toFixed(2);

describe('writeInvoiceCsv: format', () => {
  it('starts with a UTF-8 BOM and the fixed document header, CRLF-terminated', async () => {
    const { buffer, header } = await exportCsv([invoice()]);
    expect([...buffer.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(header).toEqual([
      'document_type',
      'number',
      'issue_date',
      'seller_id',
      'org_id',
      'buyer_name',
      'buyer_country',
      'buyer_vat_number',
      'currency',
      'status',
      'refers_to',
      'net',
      'vat',
      'gross',
      'vat_rates',
      'net_8_1',
      'vat_8_1',
      'net_7_7',
      'vat_7_7',
      'net_0',
      'vat_0',
      'net_other',
      'vat_other',
      'paid_balance',
      'paid_card',
      'paid_twint',
      'paid_paypal',
      'paid_postfinance',
      'paid_transfer',
      'payment_refs',
      'chf_rate',
      'chf_rate_period',
      'chf_net',
      'chf_vat',
    ]);
    expect(header).toEqual(DOCUMENT_COLUMNS);
    expect(buffer.subarray(3).toString('utf8').split('\r\n')[0]).toBe(DOCUMENT_COLUMNS.join(','));
  });

  it('writes the BOM and header even with no documents', async () => {
    const { totals, buffer, records } = await exportCsv([]);
    expect(buffer.toString('utf8')).toBe(`\uFEFF${DOCUMENT_COLUMNS.join(',')}\r\n`);
    expect(records).toEqual([]);
    expect(totals).toEqual({ documents: 0, rows: 0, byCurrency: {} });
  });

  it('fills one row per document: amounts with 2 decimals, VAT per rate, payments per method', async () => {
    const inv = invoice({
      org: org({ vatNumber: 'CHE-109.322.551' }),
      lines: [{ unitPrice: '13.00' }, { unitPrice: '9.90', quantity: 12 }],
      payments: (total) => [
        { method: 'balance', amount: Money.of('5.00', 'CHF') },
        { method: 'card', amount: total.minus(Money.of('5.00', 'CHF')), ref: 'pi_42' },
      ],
    });
    const { records, totals } = await exportCsv([inv]);
    expect(records).toEqual([
      {
        document_type: 'invoice',
        number: 'INV-CH-2026-000001',
        issue_date: '2026-12-10',
        seller_id: 'ch',
        org_id: 'acme',
        buyer_name: 'Acme Sàrl',
        buyer_country: 'CH',
        buyer_vat_number: 'CHE-109.322.551',
        currency: 'CHF',
        status: 'paid',
        refers_to: '',
        net: '131.80',
        vat: '10.67',
        gross: '142.47',
        vat_rates: '8.1:131.80:10.67',
        net_8_1: '131.80',
        vat_8_1: '10.67',
        net_7_7: '0.00',
        vat_7_7: '0.00',
        net_0: '0.00',
        vat_0: '0.00',
        net_other: '0.00',
        vat_other: '0.00',
        paid_balance: '5.00',
        paid_card: '137.47',
        paid_twint: '0.00',
        paid_paypal: '0.00',
        paid_postfinance: '0.00',
        paid_transfer: '0.00',
        payment_refs: 'card:pi_42',
        chf_rate: '1',
        chf_rate_period: '',
        chf_net: '131.80',
        chf_vat: '10.67',
      },
    ]);
    expect(totals).toEqual({
      documents: 1,
      rows: 1,
      byCurrency: {
        CHF: { net: '131.80', vat: '10.67', gross: '142.47', paid: { balance: '5.00', card: '137.47', twint: '0.00', paypal: '0.00', postfinance: '0.00', transfer: '0.00' } },
      },
    });
  });

  it('puts a document with several rates in vat_rates and in the fixed columns, other rates together', async () => {
    const base = invoice({ lines: [{ unitPrice: '26.00' }] });
    const multi: Invoice = {
      ...base,
      lines: [
        ...base.lines,
        { description: 'Export part', unitPrice: '13.00', quantity: 1, net: '13.00', vatRate: '0', vat: '0.00', gross: '13.00' },
        { description: 'EU part', unitPrice: '10.00', quantity: 1, net: '10.00', vatRate: '20', vat: '2.00', gross: '12.00' },
        { description: 'Old rate', unitPrice: '5.00', quantity: 1, net: '5.00', vatRate: '7.70', vat: '0.39', gross: '5.39' },
      ],
      vatBreakdown: [
        { rate: '8.1', net: '26.00', vat: '2.11' },
        { rate: '0', net: '13.00', vat: '0.00' },
        { rate: '20', net: '10.00', vat: '2.00' },
        { rate: '7.70', net: '5.00', vat: '0.39' },
      ],
      totalNet: '54.00',
      totalVat: '4.50',
      total: '58.50',
      payments: [{ method: 'transfer', amount: '58.50' }],
    };
    const { records } = await exportCsv([multi]);
    expect(records[0]).toMatchObject({
      vat_rates: '8.1:26.00:2.11|0:13.00:0.00|20:10.00:2.00|7.7:5.00:0.39',
      net_8_1: '26.00',
      vat_8_1: '2.11',
      net_7_7: '5.00',
      vat_7_7: '0.39',
      net_0: '13.00',
      vat_0: '0.00',
      net_other: '10.00',
      vat_other: '2.00',
      paid_transfer: '58.50',
      payment_refs: '',
    });
  });

  it('names the document types and keeps the status and the document a credit note reverses', async () => {
    const pro = invoice({ series: 'PRO', status: 'open', payments: () => [] });
    const inv = invoice({ sequence: 2 });
    const { records } = await exportCsv([pro, inv, creditNote(inv)]);
    expect(records.map((r) => [r.document_type, r.number, r.status, r.refers_to])).toEqual([
      ['proforma', 'PRO-CH-2026-000001', 'open', ''],
      ['invoice', 'INV-CH-2026-000002', 'paid', ''],
      ['credit_note', 'CN-CH-2026-000001', 'paid', 'INV-CH-2026-000002'],
    ]);
  });
});

describe('writeInvoiceCsv: credit notes', () => {
  it('a credit note nets its invoice out, row by row and in the totals', async () => {
    const inv = invoice({ lines: [{ unitPrice: '13.00' }, { unitPrice: '9.90', quantity: 12 }] });
    const { records, totals } = await exportCsv([inv, creditNote(inv)]);
    const note = records[1]!;
    expect([note.net, note.vat, note.gross, note.net_8_1, note.vat_8_1, note.paid_card]).toEqual(['-131.80', '-10.67', '-142.47', '-131.80', '-10.67', '-142.47']);
    expect(note.vat_rates).toBe('8.1:-131.80:-10.67');
    for (const column of ['net', 'vat', 'gross', 'net_8_1', 'vat_8_1', 'paid_card']) expect(columnSum(records, column, 'CHF')).toBe('0.00');
    expect(totals.byCurrency.CHF).toEqual({ net: '0.00', vat: '0.00', gross: '0.00', paid: Object.fromEntries(PAYMENT_METHODS.map((m) => [m, '0.00'])) });
    expect(totals.documents).toBe(2);
  });

  it('nets out per line too: the credit note lines carry negative quantities and amounts', async () => {
    const inv = invoice({ lines: [{ unitPrice: '13.00' }, { unitPrice: '9.90', quantity: 12 }] });
    const { records, totals } = await exportCsv([inv, creditNote(inv)], { lines: true });
    expect(records.slice(2).map((r) => [r.line_no, r.unit_price, r.quantity, r.net, r.vat, r.gross])).toEqual([
      ['1', '13.00', '-1', '-13.00', '-1.05', '-14.05'],
      ['2', '9.90', '-12', '-118.80', '-9.62', '-128.42'],
    ]);
    expect(columnSum(records, 'gross', 'CHF')).toBe('0.00');
    expect(totals.byCurrency.CHF?.gross).toBe('0.00');
  });
});

describe('writeInvoiceCsv: one row per line', () => {
  it('writes the line header and one row per line, numbered from 1', async () => {
    const inv = invoice({
      lines: [
        { description: 'Domain acme.ch', productId: 'p-1', periodFrom: '2026-12-31', periodTo: '2027-12-31', unitPrice: '13.00' },
        { description: 'Hosting', productId: 'p-2', unitPrice: '9.90', quantity: 12 },
      ],
    });
    const { header, records, totals } = await exportCsv([inv, invoice({ sequence: 2, org: org({ id: 'eu', currency: 'EUR' }), rate: '0' })], { lines: true });
    expect(header).toEqual([
      'document_type',
      'number',
      'issue_date',
      'org_id',
      'currency',
      'status',
      'refers_to',
      'line_no',
      'description',
      'product_id',
      'period_from',
      'period_to',
      'unit_price',
      'quantity',
      'vat_rate',
      'net',
      'vat',
      'gross',
    ]);
    expect(header).toEqual(LINE_COLUMNS);
    expect(records.map((r) => Object.values(r))).toEqual([
      [
        'invoice',
        'INV-CH-2026-000001',
        '2026-12-10',
        'acme',
        'CHF',
        'paid',
        '',
        '1',
        'Domain acme.ch',
        'p-1',
        '2026-12-31',
        '2027-12-31',
        '13.00',
        '1',
        '8.1',
        '13.00',
        '1.05',
        '14.05',
      ],
      ['invoice', 'INV-CH-2026-000001', '2026-12-10', 'acme', 'CHF', 'paid', '', '2', 'Hosting', 'p-2', '', '', '9.90', '12', '8.1', '118.80', '9.62', '128.42'],
      ['invoice', 'INV-CH-2026-000002', '2026-12-10', 'eu', 'EUR', 'paid', '', '1', 'Product 1', '', '', '', '13.00', '1', '0', '13.00', '0.00', '13.00'],
    ]);
    expect(totals.rows).toBe(3);
    expect(totals.documents).toBe(2);
    expect(Object.keys(totals.byCurrency).sort()).toEqual(['CHF', 'EUR']);
    expect(totals.byCurrency.CHF?.gross).toBe('142.47');
    expect(totals.byCurrency.EUR?.gross).toBe('13.00');
  });
});

describe('writeInvoiceCsv: lines a spreadsheet can sum', () => {
  it("names each line's document type, status and reference, so invoice and credit note lines sum to the documents and pro-formas stay out", async () => {
    // A pro-forma of 14.05 (13.00 + 8.1 %) and the final invoice that settles it; a second invoice of
    // 128.42 (12 × 9.90 = 118.80 + 9.62) refunded by a credit note. By hand: the books hold 14.05.
    const pro = invoice({ series: 'PRO', status: 'paid', payments: () => [] });
    const inv = { ...invoice({ sequence: 1 }), refersTo: pro.number };
    const hosting = invoice({ sequence: 2, lines: [{ unitPrice: '9.90', quantity: 12 }] });
    const cn = creditNote(hosting);
    const { records, totals } = await exportCsv([pro, inv, hosting, cn], { lines: true });
    expect(records.map((r) => [r.document_type, r.number, r.status, r.refers_to, r.gross])).toEqual([
      ['proforma', 'PRO-CH-2026-000001', 'paid', '', '14.05'],
      ['invoice', 'INV-CH-2026-000001', 'paid', 'PRO-CH-2026-000001', '14.05'],
      ['invoice', 'INV-CH-2026-000002', 'paid', '', '128.42'],
      ['credit_note', 'CN-CH-2026-000001', 'paid', 'INV-CH-2026-000002', '-128.42'],
    ]);
    const booked = records.filter((r) => r.document_type === 'invoice' || r.document_type === 'credit_note');
    const gross = booked.reduce((s, r) => s.plus(r.gross!), new Decimal(0)).toFixed(2);
    expect(gross).toBe('14.05');
    expect(totals.byCurrency.CHF?.gross).toBe('14.05');
  });
});

describe('writeInvoiceCsv: quoting', () => {
  const awkward = [
    'Dupont, Fils & Cie',
    'The "Best" Hosting',
    'Line one\nLine two',
    'Carriage\rreturn',
    'Crlf\r\ninside',
    'Zürich Société Ørsted Łódź 東京',
    '  leading and trailing spaces  ',
    '"',
    ',',
  ];

  it('quotes commas, quotes and line breaks per RFC 4180 and keeps accents, so every name reads back as written', async () => {
    const docs = awkward.map((name, i) => invoice({ sequence: i + 1, org: org({ name }) }));
    const { buffer, records } = await exportCsv(docs);
    expect(records.map((r) => r.buyer_name)).toEqual(awkward);
    const raw = buffer.toString('utf8');
    expect(raw).toContain('"Dupont, Fils & Cie"');
    expect(raw).toContain('"The ""Best"" Hosting"');
    expect(raw).toContain('"Line one\nLine two"');
    expect(raw).toContain('"Carriage\rreturn"');
    expect(raw).toContain(',Zürich Société Ørsted Łódź 東京,');
    expect(raw).toContain('  leading and trailing spaces  ');
  });

  it('quotes descriptions in line mode the same way', async () => {
    const inv = invoice({ lines: [{ description: 'Hosting "Pro", 12 months\r\nrenewal', unitPrice: '1.00' }] });
    const { records, buffer } = await exportCsv([inv], { lines: true });
    expect(records[0]?.description).toBe('Hosting "Pro", 12 months\r\nrenewal');
    expect(buffer.toString('utf8')).toContain('"Hosting ""Pro"", 12 months\r\nrenewal"');
  });

  it('defuses text a spreadsheet would run as a formula, and leaves negative amounts alone', async () => {
    // An apostrophe already before a formula start gets one more, so a reader removing one gets the name back.
    const names = ['=HYPERLINK("http://x","y")', '+41 Corp', '-minus', '@SUM(A1)', '\tTab', "'-", "''=1"];
    const docs = names.map((name, i) => invoice({ sequence: i + 1, org: org({ name }) }));
    const inv = docs[0]!;
    const { records } = await exportCsv([...docs, creditNote(inv)]);
    expect(records.slice(0, names.length).map((r) => r.buyer_name)).toEqual(names.map((n) => `'${n}`));
    expect(records.at(-1)?.gross).toBe('-14.05');
  });
});

describe('writeInvoiceCsv: reconciliation', () => {
  it('totals equal the sums of the rows and of the documents, per currency, to the cent (property)', async () => {
    await fc.assert(
      fc.asyncProperty(documentsArb, fc.boolean(), async (docs, lines) => {
        const { records, totals } = await exportCsv(docs, { lines });
        expect(totals.documents).toBe(docs.length);
        expect(totals.rows).toBe(records.length);
        expect(records.length).toBe(lines ? docs.reduce((n, d) => n + d.lines.length, 0) : docs.length);

        const booked = docs.filter((d) => d.series !== 'PRO');
        const currencies = [...new Set(booked.map((d) => d.currency))].sort();
        expect(Object.keys(totals.byCurrency).sort()).toEqual(currencies);
        for (const cur of currencies) {
          const mine = booked.filter((d) => d.currency === cur);
          const t = totals.byCurrency[cur]!;
          // The documents' own totals, summed independently of the writer.
          expect(t.gross).toBe(sumOf(mine.map((d) => d.total)));
          expect(t.net).toBe(sumOf(mine.map((d) => d.totalNet)));
          expect(t.vat).toBe(sumOf(mine.map((d) => d.totalVat)));
          // The rows as a reader of the file sees them.
          expect(columnSum(records, 'gross', cur)).toBe(t.gross);
          expect(columnSum(records, 'net', cur)).toBe(t.net);
          expect(columnSum(records, 'vat', cur)).toBe(t.vat);
          for (const m of PAYMENT_METHODS) {
            expect(t.paid[m]).toBe(sumOf(mine.flatMap((d) => d.payments.filter((p) => p.method === m).map((p) => p.amount))));
            if (!lines) expect(columnSum(records, `paid_${m}`, cur)).toBe(t.paid[m]);
          }
        }
        if (!lines) {
          for (const r of records) {
            // The per-rate columns split the document's net and VAT without losing a cent.
            expect(sumOf([r.net_8_1!, r.net_7_7!, r.net_0!, r.net_other!])).toBe(r.net);
            expect(sumOf([r.vat_8_1!, r.vat_7_7!, r.vat_0!, r.vat_other!])).toBe(r.vat);
            expect(sumOf([r.net!, r.vat!])).toBe(r.gross);
          }
          expect(records.map((r) => r.buyer_name!.replace(/^'(?='*[=+\-@\t\r])/, ''))).toEqual(docs.map((d) => d.buyer.name));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('refuses a document whose amounts do not add up, naming it, and destroys the output', async () => {
    const good = invoice();
    const bad: Invoice = { ...invoice({ sequence: 2 }), total: '14.06' };
    const sink = collector();
    await expect(writeInvoiceCsv(fromArray([good, bad]), sink.stream, { lines: false })).rejects.toThrow(ExportIntegrityError);
    await expect(writeInvoiceCsv(fromArray([bad]), collector().stream, { lines: false })).rejects.toThrow('INV-CH-2026-000002: net + VAT 14.05 does not match 14.06');
    expect(sink.stream.destroyed).toBe(true);

    const floaty: Invoice = { ...good, lines: good.lines.map((l) => ({ ...l, net: '13.001' })) };
    await expect(writeInvoiceCsv(fromArray([floaty]), collector().stream, { lines: true })).rejects.toThrow(/line 1 net: amount has more than 2 decimals/);
    const breakdown: Invoice = { ...good, vatBreakdown: [{ rate: '8.1', net: '12.00', vat: '1.05' }] };
    await expect(writeInvoiceCsv(fromArray([breakdown]), collector().stream, { lines: false })).rejects.toThrow(/sum of the VAT breakdown net 12.00 does not match 13.00/);
  });
});

describe('writeInvoiceCsv: streaming', () => {
  it('waits for a slow output: never reads far ahead of what was written, and writes the same bytes', async () => {
    const count = 3000;
    const template = invoice();
    let pulled = 0;
    let written = 0;
    let maxLag = 0;
    async function* docs() {
      for (let i = 1; i <= count; i += 1) {
        pulled += 1;
        maxLag = Math.max(maxLag, pulled - written);
        yield { ...template, number: `INV-CH-2026-${String(i).padStart(6, '0')}`, sequence: i };
      }
    }
    const chunks: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        for (const byte of chunk) if (byte === 0x0a) written += 1;
        setImmediate(cb);
      },
    });
    const progress: number[] = [];
    const totals = await writeInvoiceCsv(docs(), slow, { lines: false }, (rows) => progress.push(rows));

    expect(totals.rows).toBe(count);
    expect(progress).toEqual([1000, 2000, 3000]);
    // Without backpressure the generator would run to the end before the first slow write completes.
    expect(maxLag).toBeLessThan(200);
    const fast = collector();
    async function* again() {
      for (let i = 1; i <= count; i += 1) yield { ...template, number: `INV-CH-2026-${String(i).padStart(6, '0')}`, sequence: i };
    }
    await writeInvoiceCsv(again(), fast.stream, { lines: false });
    expect(Buffer.concat(chunks).equals(fast.buffer())).toBe(true);
    expect(slow.writableFinished).toBe(true);
  });

  it('reports progress with the final count when it is not a round thousand', async () => {
    const progress: number[] = [];
    const docs = Array.from({ length: 700 }, (_, i) => invoice({ sequence: i + 1, lines: [{ unitPrice: '1.00' }, { unitPrice: '2.00' }] }));
    await writeInvoiceCsv(fromArray(docs), collector().stream, { lines: true }, (rows) => progress.push(rows));
    expect(progress).toEqual([1000, 1400]);
  });

  it('rejects and destroys the output when the source fails, and stops reading when the output fails', async () => {
    async function* failing() {
      yield invoice();
      throw new Error('store read failed');
    }
    const sink = collector();
    await expect(writeInvoiceCsv(failing(), sink.stream, { lines: false })).rejects.toThrow('store read failed');
    expect(sink.stream.destroyed).toBe(true);

    let pulled = 0;
    async function* endless() {
      for (;;) {
        pulled += 1;
        yield invoice();
      }
    }
    const broken = new Writable({
      highWaterMark: 16,
      write(_chunk, _enc, cb) {
        setImmediate(() => cb(new Error('disk full')));
      },
    });
    await expect(writeInvoiceCsv(endless(), broken, { lines: false })).rejects.toThrow('disk full');
    expect(pulled).toBeLessThan(1000);
  });
});
