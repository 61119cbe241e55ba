import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBilling } from '../support/cli.ts';
import { stopLocalStore } from '../../shared/adapters/local/local-store.ts';
import { writeCamt054 } from '../../shared/adapters/bank/camt054-writer.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const billing = (home: string, ...args: string[]) => runBilling(home, args);

const json = <T>(s: string): T => JSON.parse(s) as T;

describe('billing CLI on the embedded stack', () => {
  let home: string;
  beforeAll(() => {
    home = join(mkdtempSync(join(tmpdir(), 'billing-cli-')), '.billing');
  });
  afterAll(async () => {
    await stopLocalStore(home);
    rmSync(join(home, '..'), { recursive: true, force: true });
  });

  it('creates an organisation, a product and a deposit that later commands see', async () => {
    const today = ['--today', '2026-12-01'];
    expect((await billing(home, ...today, 'org', 'create', '--id', 'acme', '--name', 'Acme Sàrl', '--currency', 'CHF', '--country', 'CH')).code).toBe(0);
    const topUp = await billing(home, ...today, '--json', 'balance', 'top-up', '--org', 'acme', '--amount', '20', '--reference', 'dep-1');
    expect(json(topUp.out)).toEqual({ balance: '20.00', credited: '20.00' });
    const added = await billing(
      home,
      ...today,
      '--json',
      'product',
      'add',
      '--org',
      'acme',
      '--type',
      'domain-ch',
      '--name',
      'acme.ch',
      '--id',
      'acme-ch',
      '--expiry',
      '2026-12-31',
      '--auto-renew',
    );
    expect(json<{ nextActionDate: string }>(added.out).nextActionDate).toBe('2026-12-01');
    const listed = await billing(home, ...today, '--json', 'products', 'list', '--org', 'acme', '--due', '2m');
    expect(json<{ products: { id: string }[]; nextCursor?: string }>(listed.out)).toMatchObject({ products: [{ id: 'acme-ch' }] });
    expect(json<{ nextCursor?: string }>(listed.out).nextCursor).toBeUndefined();
  });

  it('runs a night and prints one JSON object with the figures of the night', async () => {
    const res = await billing(home, '--json', 'run-night', '--date', '2026-12-17');
    expect(res.code).toBe(0);
    const night = json<Record<string, unknown>>(res.out);
    expect(night).toMatchObject({
      date: '2026-12-17',
      reminders: 0,
      attempted: 1,
      paid: 1,
      failed: 0,
      collected: { CHF: '14.05', EUR: '0.00' },
      blocked: 0,
      terminated: 0,
    });
    const balance = await billing(home, '--json', 'balance', 'show', '--org', 'acme');
    expect(json<{ balance: string }>(balance.out).balance).toBe('5.95');
    const invoices = await billing(home, '--json', 'invoices', 'list', '--org', 'acme');
    expect(json<{ number: string }[]>(invoices.out).map((i) => i.number)).toEqual(['INV-CH-2026-000001']);
  });

  it('reports nothing paid when the same night runs again, since it pays nothing', async () => {
    const again = json<Record<string, unknown>>((await billing(home, '--json', 'run-night', '--date', '2026-12-17')).out);
    expect(again).toMatchObject({ date: '2026-12-17', attempted: 0, paid: 0, collected: { CHF: '0.00', EUR: '0.00' } });
  });

  it('simulates consecutive nights and prints an array, one object per night', async () => {
    const res = await billing(home, '--json', 'simulate', '--from', '2026-12-18', '--days', '3');
    expect(res.code).toBe(0);
    const nights = json<{ date: string; attempted: number }[]>(res.out);
    expect(nights.map((n) => n.date)).toEqual(['2026-12-18', '2026-12-19', '2026-12-20']);
    expect(res.err).toBe('');
  });

  it('lists the e-mails of the outbox and the lifecycle commands', async () => {
    const outbox = await billing(home, '--json', 'outbox', 'list', '--date', '2026-12-17');
    expect(json<{ template: string; to: string[] }[]>(outbox.out)).toEqual([
      // Sent as the night ended: an .eml file under out/mail/, named by the day, the organisation and the e-mail.
      expect.objectContaining({
        template: 'renewal-paid',
        to: ['owner@example.ch'],
        status: 'sent',
        file: expect.stringMatching(/^mail\/2026-12-17\/acme\/[\w.-]+_renewal-paid\.eml$/),
      }),
    ]);
    const human = await billing(home, 'outbox', 'list', '--date', '2026-12-17');
    expect(human.out).toMatch(/2026-12-17 +renewal-paid +acme +owner@example\.ch +sent +mail\/2026-12-17\/acme\//);
    const lifecycle = await billing(home, '--json', 'lifecycle', 'list');
    expect(json<unknown[]>(lifecycle.out)).toEqual([]);
  });

  it("lists the night's business events as the log and the bus carry them, and refuses an unknown type", async () => {
    const events = await billing(home, '--json', 'events', 'list', '--date', '2026-12-17', '--type', 'invoice.issued');
    expect(json<{ type: string; subject: string; data: { orgId: string; series: string; total: string } }[]>(events.out)).toEqual([
      expect.objectContaining({
        specversion: '1.0',
        type: 'billing.invoice.issued.v1',
        subject: expect.stringMatching(/^orgs\/acme\/invoices\/INV-CH-2026-/),
        data: expect.objectContaining({ orgId: 'acme', series: 'INV' }),
      }),
    ]);
    const human = await billing(home, 'events', 'list', '--date', '2026-12-17');
    expect(human.out).toMatch(/billing\.product\.renewed\.v1 +orgs\/acme\/products\//);
    const bad = await billing(home, 'events', 'list', '--type', 'product.exploded');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--type must be one of product\.renewed, product\.blocked/);
  });

  it('adds a product without auto-renewal close to its expiry', async () => {
    const res = await billing(
      home,
      '--today',
      '2026-12-21',
      'product',
      'add',
      '--org',
      'acme',
      '--type',
      'domain-ch',
      '--name',
      'late.ch',
      '--id',
      'late-ch',
      '--expiry',
      '2027-01-01',
    );
    expect(res.code).toBe(0);
  });

  it('refuses bad input with one line on stderr and exit code 2, and changes nothing', async () => {
    const snapshot = async () => [
      (await billing(home, '--json', 'balance', 'show', '--org', 'acme')).out,
      (await billing(home, '--json', 'products', 'list', '--org', 'acme', '--due', 'all')).out,
      (await billing(home, '--json', 'org', 'list')).out,
    ];
    const before = await snapshot();
    const cases: [string[], RegExp][] = [
      [['balance', 'top-up', '--org', 'nobody', '--amount', '10'], /Organisation nobody not found/],
      [['balance', 'top-up', '--org', 'acme', '--amount', '-5'], /positive amount/],
      [['balance', 'top-up', '--org', 'acme', '--amount', '10000'], /between 0.10 and 9999.00 CHF/],
      [['run-night', '--date', '2026-02-30'], /--date must be a date as YYYY-MM-DD/],
      [['simulate', '--from', '2026-12-01', '--days', '0'], /--days must be a whole number/],
      [['product', 'add', '--org', 'acme', '--type', 'ufo', '--name', 'x', '--expiry', '2027-01-01'], /Unknown product type ufo/],
      [['product', 'add', '--org', 'acme', '--type', 'domain-ch', '--name', 'x', '--expiry', '2027-01-01', '--period', '5'], /Period of 5 months is not allowed/],
      [['--today', '2026-12-21', 'auto-renew', 'on', '--org', 'acme', '--product', 'late-ch'], /Renew it manually first/],
      [['auto-renew', 'maybe', '--org', 'acme', '--all'], /on or off/],
      [['org', 'create', '--name', 'X', '--currency', 'USD', '--country', 'CH'], /must be CHF or EUR/],
      [['frobnicate'], /unknown command/],
      [['pay', '--org', 'acme', '--product', 'acme-ch', '--method', 'postfinance'], /PostFinance cards are not offered/],
    ];
    for (const [args, message] of cases) {
      const res = await billing(home, ...args);
      expect({ args, code: res.code, out: res.out }).toEqual({ args, code: 2, out: '' });
      expect(res.err).toMatch(message);
      expect(res.err.trim().split('\n')).toHaveLength(1);
    }
    expect(await snapshot()).toEqual(before);
    // Each command starts DynamoDB Local on its own, as on a user's machine: a slow run on a loaded machine.
  }, 240_000);

  it('pays by bank transfer end to end: pro-forma, camt.054 import, final invoice as PDF, export', async () => {
    const out = join(home, '..', 'out');
    const paid = await billing(home, '--today', '2026-12-21', '--json', 'pay', '--org', 'acme', '--product', 'late-ch', '--method', 'iban', '--no-balance');
    expect(paid.code).toBe(0);
    const view = json<{ proformaNumber: string; paymentReference: string; amountDue: string }>(paid.out);
    expect(view).toMatchObject({ proformaNumber: 'PRO-CH-2026-000001', amountDue: '14.05' });
    const file = join(out, 'statement.xml');
    mkdirSync(out, { recursive: true });
    writeFileSync(
      file,
      writeCamt054('CLI-1', '2026-12-22T06:00:00+01:00', [
        { id: 'CLI-E1', amount: '14.05', currency: 'CHF', bookingDate: '2026-12-22', reference: { type: 'QRR', value: view.paymentReference }, account: 'CH4431999123000889012' },
      ]),
    );
    const imported = await billing(home, '--today', '2026-12-22', '--json', 'bank', 'import', file);
    expect(json<{ credits: { outcome: string }[] }>(imported.out).credits).toEqual([expect.objectContaining({ outcome: 'settled', documentNumber: 'PRO-CH-2026-000001' })]);
    const again = await billing(home, '--today', '2026-12-22', '--json', 'bank', 'import', file);
    expect(json<{ alreadyImported: boolean }>(again.out).alreadyImported).toBe(true);

    const pdf = await billing(home, '--json', 'invoice', 'pdf', 'INV-CH-2026-000002', '--out', out);
    expect(readFileSync(json<{ path: string }>(pdf.out).path).subarray(0, 5).toString()).toBe('%PDF-');
    const exported = await billing(home, '--json', 'export', '--from', '2026-12-01', '--to', '2026-12-31', '--out', out);
    const res = json<{ csv: string; totals: { documents: number; byCurrency: Record<string, { gross: string }> } }>(exported.out);
    expect(res.totals.documents).toBe(3);
    expect(res.totals.byCurrency.CHF!.gross).toBe('28.10');
    expect(readFileSync(res.csv, 'utf8')).toContain('PRO-CH-2026-000001');
    expect((await billing(home, 'bank', 'import', join(out, 'missing.xml'))).err).toMatch(/cannot read .*missing.xml: ENOENT/);
  });

  it('renews once for one --request-id, however often the command is run', async () => {
    // acme holds 5.95 after the night; 50 more pays a 14.05 year (13.00 + 8.1 % VAT) from the balance.
    expect((await billing(home, '--today', '2026-12-23', 'balance', 'top-up', '--org', 'acme', '--amount', '50', '--reference', 'dep-renew')).code).toBe(0);
    const runs = [];
    for (let i = 0; i < 3; i++) {
      const res = await billing(home, '--today', '2026-12-23', '--json', 'renew', '--org', 'acme', '--product', 'acme-ch', '--request-id', 'renew-acme-0001');
      expect(res.code).toBe(0);
      runs.push(json<{ invoiceNumber: string; total: string; replayed: boolean; product: { expiry: string } }>(res.out));
    }
    expect(runs.map((r) => [r.invoiceNumber, r.total, r.replayed, r.product.expiry])).toEqual([
      ['INV-CH-2026-000003', '14.05', false, '2028-12-31'],
      ['INV-CH-2026-000003', '14.05', true, '2028-12-31'],
      ['INV-CH-2026-000003', '14.05', true, '2028-12-31'],
    ]);
    // 5.95 + 50.00 - 14.05, once.
    const balance = json<{ balance: string; ledger: { reason: string; date: string; amount: string }[] }>((await billing(home, '--json', 'balance', 'show', '--org', 'acme')).out);
    expect(balance.balance).toBe('41.90');
    expect(balance.ledger.filter((e) => e.date === '2026-12-23' && e.reason === 'renewal').map((e) => e.amount)).toEqual(['-14.05']);
  });

  it('wipes the data folder on reset', async () => {
    expect((await billing(home, 'reset')).code).toBe(0);
    expect(existsSync(home)).toBe(false);
    const res = await billing(home, 'balance', 'show', '--org', 'acme');
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/not found/);
  });

  it('says that Java is missing and how to install it', async () => {
    const saved = process.env.JAVA_HOME;
    process.env.JAVA_HOME = join(tmpdir(), 'no-java-here');
    try {
      // A folder whose store is not running yet: the command must start one, and needs Java for it.
      const res = await billing(join(home, '..', 'no-store-yet'), 'run-night', '--date', '2026-12-17');
      expect(res.code).toBe(1);
      expect(res.err).toMatch(/Java 17 or newer is needed/);
      expect(res.err).toMatch(/apt-get install -y openjdk-17-jre-headless/);
    } finally {
      if (saved === undefined) delete process.env.JAVA_HOME;
      else process.env.JAVA_HOME = saved;
    }
  });
  it('runs on the configuration --config names: its price on the invoice, its seller refused when unknown, a broken file refused whole', async () => {
    const dir = join(home, '..', 'config');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'stage.yaml');
    // The sample with the .ch domain at CHF 20.00 instead of 13.00.
    writeFileSync(file, readFileSync('config/sample.yaml', 'utf8').replace("prices: { CHF: '13.00', EUR: '13.50' }", "prices: { CHF: '20.00', EUR: '13.50' }"));
    const at = ['--today', '2026-12-01', '--config', file];
    expect((await billing(home, ...at, 'org', 'create', '--id', 'priced', '--name', 'Priced AG', '--currency', 'CHF', '--country', 'CH')).code).toBe(0);
    expect((await billing(home, ...at, 'balance', 'top-up', '--org', 'priced', '--amount', '50', '--reference', 'dep-p')).code).toBe(0);
    expect(
      (await billing(home, ...at, 'product', 'add', '--org', 'priced', '--type', 'domain-ch', '--name', 'priced.ch', '--id', 'priced-ch', '--expiry', '2026-12-31')).code,
    ).toBe(0);
    const renewed = await billing(home, ...at, '--json', 'renew', '--org', 'priced', '--product', 'priced-ch', '--request-id', 'r-p');
    expect(renewed.err).toBe('');
    // 20.00 + 8.1 % VAT (1.62) = 21.62: the file's price, not the sample's 13.00.
    expect(json<{ total: string }>(renewed.out).total).toBe('21.62');

    const unknown = await billing(home, ...at, 'org', 'create', '--id', 'nobody', '--name', 'N', '--currency', 'CHF', '--country', 'CH', '--seller', 'fr');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/Unknown seller fr; the configuration has: ch/);

    const broken = await billing(home, '--config', 'test/fixtures/config/broken.yaml', 'balance', 'show', '--org', 'priced');
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/11 problem\(s\) in the configuration/);
    expect(broken.err).toMatch(/broken\.yaml:3:1 {2}defaultSeller/);
  });
});
