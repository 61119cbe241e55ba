import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkConfigText, loadConfigFile } from '../../../shared/adapters/config/config-file.ts';
import { engineConfig } from '../../../shared/config/billing-config.ts';
import { billingConfigJsonSchema } from '../../../shared/config/billing-config-schema.ts';
import { BUILT_IN_VAT_RATES, standardRate } from '../../../shared/domain/vat.ts';
import { runBilling } from '../../support/cli.ts';

const SAMPLE = 'config/sample.yaml';
const BROKEN = 'test/fixtures/config/broken.yaml';
const read = (f: string) => readFileSync(f, 'utf8');

describe('the sample configuration (config/sample.yaml)', () => {
  const config = loadConfigFile(SAMPLE);

  it('gives the seller the demo invoices with, its IBANs in electronic form', () => {
    expect(config.stage).toBe('demo');
    expect(config.seller).toMatchObject({
      id: 'ch',
      name: 'Example Hosting SA',
      // Made from the structured address, the country in words.
      address: 'Rue du Lac 1, 1227 Carouge GE, Switzerland',
      postal: { street: 'Rue du Lac', buildingNumber: '1', zip: '1227', city: 'Carouge GE', country: 'CH' },
      country: 'CH',
      vatNumber: 'CHE-123.456.788 TVA',
      iban: 'CH9300762011623852957',
      qrIban: 'CH4431999123000889012',
    });
    expect(config.seller.invoiceSeriesShards).toBeUndefined();
    expect([...config.sellers.keys()]).toEqual(['ch']);
  });

  it('gives the catalogue as written: prices as strings, periods, schedules', () => {
    const ids = config.catalogue.all().map((t) => t.id);
    expect(ids).toEqual(['domain-ch', 'domain-com', 'web-hosting', 'mail-service', 'cloud-storage', 'cloud-server', 'streaming']);
    expect(config.catalogue.get('domain-ch')).toEqual({
      id: 'domain-ch',
      name: '.ch domain name',
      prices: { CHF: '13.00', EUR: '13.50' },
      basePeriodMonths: 12,
      allowedPeriodsMonths: [12, 24, 36, 48, 60, 72, 84, 96, 108, 120],
      reminderDaysBefore: [30, 7, 1],
      retryDaysAfterFirstAttempt: [3, 7, 10, 13],
      blockDaysAfterExpiry: 0,
      terminateDaysAfterExpiry: 40,
    });
    expect(config.catalogue.get('cloud-server')?.prices).toEqual({ CHF: '39.00', EUR: '37.00' });
  });

  it('carries the VAT rates of the law: Swiss 7.7 % before 2024, 8.1 % since; Germany 16 % in the second half of 2020', () => {
    expect(standardRate('CH', '2023-12-31', config.vatRates).toString()).toBe('7.7');
    expect(standardRate('CH', '2024-01-01', config.vatRates).toString()).toBe('8.1');
    expect(standardRate('DE', '2020-08-01', config.vatRates).toString()).toBe('16');
    expect(standardRate('DE', '2021-01-01', config.vatRates).toString()).toBe('19');
    // The table unit tests use when they pass none is this one.
    expect(config.vatRates).toEqual(BUILT_IN_VAT_RATES);
  });
});

describe('a broken configuration', () => {
  it('lists every problem with its line, in file order', () => {
    const check = checkConfigText(read(BROKEN));
    expect(check.ok).toBe(false);
    if (check.ok) return;
    // Lines counted by hand in test/fixtures/config/broken.yaml.
    expect(check.problems.map((p) => [p.line, p.path])).toEqual([
      [3, 'defaultSeller'],
      [8, 'sellers.0.vatNumber'],
      [10, 'sellers.0.bank.iban'],
      [11, 'sellers.0.bank.qrIban'],
      [12, 'sellers.0.email'],
      [16, 'catalogue.0.prices.CHF'],
      [18, 'catalogue.0.allowedPeriodsMonths.1'],
      [20, 'catalogue.0.retryDaysAfterFirstAttempt.2'],
      [22, 'catalogue.0.terminateDaysAfterExpiry'],
      [23, 'catalogue.0.colour'],
      [28, 'vat.rates.CH.1.from'],
    ]);
    const message = (path: string) => check.problems.find((p) => p.path === path)?.message;
    expect(message('defaultSeller')).toMatch(/names no seller of the list \(ch\)/);
    expect(message('sellers.0.bank.iban')).toMatch(/check digits are wrong/);
    expect(message('sellers.0.bank.qrIban')).toMatch(/not a QR-IBAN/);
    expect(message('catalogue.0.prices.CHF')).toMatch(/quoted string/);
    expect(message('catalogue.0.allowedPeriodsMonths.1')).toMatch(/18 months is not a multiple of the base period \(12 months\)/);
    expect(message('catalogue.0.colour')).toMatch(/unknown key/);
  });

  it('reports a YAML syntax error at its line', () => {
    const check = checkConfigText('stage: demo\nsellers:\n  - id: ch\n   name: bad indent\n');
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.problems[0]?.line).toBe(4);
  });

  it('refuses a seller listed twice, a seller country without VAT rates, a QR-IBAN given as the IBAN', () => {
    const sample = parse(read(SAMPLE)) as { sellers: Record<string, unknown>[]; vat: { rates: Record<string, unknown> } };
    const twice = { ...sample, sellers: [sample.sellers[0], sample.sellers[0]] };
    const noRates = { ...sample, vat: { rates: { DE: sample.vat.rates.DE } } };
    const qrAsIban = { ...sample, sellers: [{ ...sample.sellers[0], bank: { iban: 'CH4431999123000889012' } }] };
    const problems = (doc: unknown) => {
      const check = checkConfigText(JSON.stringify(doc, null, 1));
      return check.ok ? [] : check.problems.map((p) => `${p.path}: ${p.message}`);
    };
    expect(problems(twice)).toContain('sellers.1.id: seller ch is listed twice');
    expect(problems(noRates)).toContain("sellers.0.address.country: vat.rates has no rates for CH, the seller's country");
    expect(problems(qrAsIban)).toContain('sellers.0.bank.iban: is a QR-IBAN: give it as bank.qrIban, and the ordinary IBAN here');
  });

  it('needs an address to send e-mails from (the seller’s own, or mail.from), and a portal the buttons lead to', () => {
    const sample = parse(read(SAMPLE)) as { sellers: Record<string, unknown>[]; mail?: Record<string, unknown> };
    const { email: _email, ...mute } = sample.sellers[0]!;
    const problems = (doc: unknown) => {
      const check = checkConfigText(JSON.stringify(doc, null, 1));
      return check.ok ? [] : check.problems.map((p) => `${p.path}: ${p.message}`);
    };
    expect(problems({ ...sample, sellers: [mute] })).toEqual(['sellers.0.email: the seller needs an address to send e-mails from (or set mail.from)']);
    expect(problems({ ...sample, sellers: [mute], mail: { from: 'billing@example.ch' } })).toEqual([]);
    expect(problems({ ...sample, mail: { portalUrl: 'ftp://example.ch' } })).toEqual(['mail.portalUrl: must be an http(s) address']);
    const check = checkConfigText(JSON.stringify({ ...sample, mail: undefined }));
    expect(check.ok && engineConfig(check.file).mail).toEqual({ portalUrl: 'http://127.0.0.1:8787' });
  });

  it("takes the journal's accounts and VAT codes, a Swiss SME chart when absent, and refuses keys and numbers it cannot use", () => {
    const sample = parse(read(SAMPLE)) as Record<string, unknown>;
    const problems = (doc: unknown) => {
      const check = checkConfigText(JSON.stringify(doc, null, 1));
      return check.ok ? [] : check.problems.map((p) => `${p.path}: ${p.message}`);
    };
    const plain = checkConfigText(JSON.stringify(sample));
    expect(plain.ok && engineConfig(plain.file).accounting.accounts.revenue).toEqual({ domestic: '3400', 'eu-b2c': '3410', 'reverse-charge': '3420', export: '3430' });
    const own = checkConfigText(JSON.stringify({ ...sample, accounting: { accounts: { vat: '2201' }, vatCodes: { 'domestic:8.1': 'UN81' } } }));
    expect(own.ok && engineConfig(own.file).accounting).toMatchObject({
      accounts: { vat: '2201', receivables: { CHF: '1100', EUR: '1101' } },
      vatCodes: { 'domestic:8.1': 'UN81' },
    });
    expect(problems({ ...sample, accounting: { vatCodes: { 'standard:8.1': 'V81' } } })).toEqual([
      'accounting.vatCodes.standard:8.1: must be domestic:<rate>, eu-b2c:<country>:<rate>, reverse-charge or export',
    ]);
    expect(problems({ ...sample, accounting: { accounts: { vat: '22 00' } } })).toEqual(['accounting.accounts.vat: must be an account number such as 1100']);
  });

  it('is refused by the engine as a whole: nothing runs on half a configuration', () => {
    expect(() => loadConfigFile(BROKEN)).toThrow(/11 problem\(s\)[\s\S]*broken\.yaml:3:1 {2}defaultSeller/);
  });
});

describe('the published JSON Schema (config/billing-config.schema.json)', () => {
  const published = JSON.parse(read('config/billing-config.schema.json')) as Record<string, unknown>;

  it('is the one the code generates (npm run config:schema)', () => {
    expect(published).toEqual(billingConfigJsonSchema());
  });

  it('accepts the sample and refuses the broken file, by a JSON Schema validator of its own', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
    const validate = ajv.compile(published);
    expect(validate(parse(read(SAMPLE))), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(parse(read(BROKEN)))).toBe(false);
    const where = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`);
    expect(where).toContain('/catalogue/0 additionalProperties');
    expect(where).toContain('/catalogue/0/prices/CHF type');
  });
});

describe('a future rate written ahead in the file', () => {
  it('applies from its date without a code change', () => {
    const sample = parse(read(SAMPLE)) as { vat: { rates: Record<string, { from: string; rate: string }[]> } };
    sample.vat.rates.CH = [...sample.vat.rates.CH!, { from: '2028-01-01', rate: '8.8' }];
    const check = checkConfigText(JSON.stringify(sample));
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    const config = engineConfig(check.file);
    expect(standardRate('CH', '2027-12-31', config.vatRates).toString()).toBe('8.1');
    expect(standardRate('CH', '2028-01-01', config.vatRates).toString()).toBe('8.8');
  });
});

describe('billing config check', () => {
  it('says the sample is valid and exits 0', async () => {
    const run = await runBilling('.billing-unused', ['config', 'check', SAMPLE]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/config\/sample\.yaml: valid \(stage demo\): 1 seller\(s\) \(ch; default ch\), 7 product types, VAT rates of 29 countries/);
  });

  it('prints one line per problem, file:line:column first, and exits 2', async () => {
    const run = await runBilling('.billing-unused', ['config', 'check', BROKEN]);
    expect(run.code).toBe(2);
    const lines = run.out.trim().split('\n');
    expect(lines).toHaveLength(12);
    expect(lines[0]).toBe(`${BROKEN}:3:1  defaultSeller: names no seller of the list (ch)`);
    expect(lines[11]).toBe(`11 problem(s) in ${BROKEN}`);
  });

  it('answers JSON with --json', async () => {
    const run = await runBilling('.billing-unused', ['--json', 'config', 'check', BROKEN]);
    const body = JSON.parse(run.out) as { ok: boolean; problems: { line: number; path: string }[] };
    expect(body.ok).toBe(false);
    expect(body.problems[0]).toMatchObject({ line: 3, path: 'defaultSeller' });
  });
});
