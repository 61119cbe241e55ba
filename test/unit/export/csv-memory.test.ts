import { Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { writeInvoiceCsv } from '../../../shared/adapters/export/index.ts';
import type { Invoice } from '../../../shared/domain/invoice.ts';
import { Money } from '../../../shared/domain/money.ts';
import { invoice, org } from './fixtures.ts';

/** `global.gc` when node runs with --expose-gc; otherwise the same function obtained at run time. */
function findGc(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

const MB = 1024 * 1024;

describe('writeInvoiceCsv: memory', () => {
  it('stays flat over 100,000 invoices: heap growth from 25k to 100k is small next to the CSV written', async () => {
    const gc = findGc();
    const heap = () => {
      gc?.();
      // Buffers live outside the JS heap: a leak of written chunks would not show in heapUsed alone.
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const template = invoice({
      org: org({ name: 'Établissements Müller & Fils SA, succursale de Genève, département hébergement', vatNumber: 'CHE-109.322.551' }),
      lines: [
        { description: 'Domain example.ch', productId: 'prod-0001', periodFrom: '2026-12-31', periodTo: '2027-12-30', unitPrice: '13.00' },
        { description: 'Web hosting "Business"', productId: 'prod-0002', periodFrom: '2026-12-31', periodTo: '2027-12-30', unitPrice: '9.90', quantity: 12 },
      ],
      payments: (total) => [
        { method: 'balance', amount: Money.of('5.00', 'CHF') },
        { method: 'twint', amount: Money.of('20.00', 'CHF'), ref: 'pi_3PqRsTuVwXyZ9876543210cd' },
        { method: 'card', amount: total.minus(Money.of('25.00', 'CHF')), ref: 'pi_3PqRsTuVwXyZ0123456789ab' },
      ],
    });
    const count = 100_000;
    const samples: Record<string, number> = {};
    async function* docs(): AsyncGenerator<Invoice> {
      samples.start = heap();
      for (let i = 1; i <= count; i += 1) {
        if (i === 25_001) samples.at25k = heap();
        yield { ...template, number: `INV-CH-2026-${String(i).padStart(6, '0')}`, sequence: i, orgId: `org-${i % 5000}` };
      }
      samples.at100k = heap();
    }
    let bytes = 0;
    const counting = new Writable({
      write(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        cb();
      },
    });

    const totals = await writeInvoiceCsv(docs(), counting, { lines: false });

    expect(totals.rows).toBe(count);
    expect(totals.byCurrency.CHF?.gross).toBe(Money.of(template.total, 'CHF').times(count).toString());
    const growth = (samples.at100k! - samples.at25k!) / MB;
    const overall = (samples.at100k! - samples.start!) / MB;
    console.info(
      `memory: gc ${gc ? 'forced' : 'not available'}, CSV ${(bytes / MB).toFixed(1)} MB, heap+buffers 25k->100k ${growth.toFixed(1)} MB, start->100k ${overall.toFixed(1)} MB`,
    );
    expect(bytes).toBeGreaterThan(30 * MB);
    expect(growth).toBeLessThan(30);
    expect(overall).toBeLessThan(50);
  });
});
