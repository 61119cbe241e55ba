import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createHash } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { simpleParser } from 'mailparser';
import { keys } from '../../shared/adapters/dynamodb/keys.ts';
import type { OutboxEmail } from '../../shared/domain/records.ts';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { withBusinessEvents } from '../../shared/use-cases/events/with-business-events.ts';
import { Decimal } from 'decimal.js';
import { extractText } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbBillingStore } from '../../shared/adapters/dynamodb/dynamodb-billing-store.ts';
import { createTableIfMissing } from '../../shared/adapters/dynamodb/table-schema.ts';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../shared/adapters/local/dynamodb-local.ts';
import type { IsoDate } from '../../shared/domain/calendar.ts';
import { toInvoice, type Invoice } from '../../shared/domain/invoice.ts';
import { Money } from '../../shared/domain/money.ts';
import { paymentReferenceFor } from '../../shared/domain/payment-reference.ts';
import { priceInvoice } from '../../shared/domain/pricing.ts';
import { DEFAULT_SELLER } from '../support/sample-config.ts';
import { createOrganisation } from '../../shared/use-cases/manage-organisation.ts';
import { BUNDLE_BANNER, REPO_ROOT } from '../../infra/billing-function.ts';
import { parse as parseYaml } from 'yaml';
import { BUNDLE_PACKAGE_JSON, FONTS_DIR_IN_BUNDLE, pdfBundleFiles } from '../../infra/pdf-bundle-files.ts';
import { apiEvent, invokeBundles, type InvokeResult, type LocalS3, type LocalService, sqsEvent, startLocalS3, startLocalService, streamEvent, unzip } from './lambda-sandbox.ts';
import { type CfnResource, logicalIdOf, synthBillingApp } from './synth-billing-app.ts';

// The one synthesis with the real esbuild bundles (dev); every other infra test synthesizes without bundling.
const dev = synthBillingApp('dev', { bundle: true });
afterAll(() => dev.cleanup());

const MiB = 1024 * 1024;
/**
 * Guards against a stray dependency, not the size targets of the performance issue, which
 * `npm run bench` reports per function (600 KiB for a function without PDFs): index.mjs of a
 * function that renders no PDF and never calls Stripe (0.2–0.73 MiB today: the SDK clients, S3's
 * among them, zod, middy, Powertools' logger and metrics), and of one that calls Stripe, whose SDK
 * is one module of about 240 KiB (0.75–0.93 MiB today).
 */
const BUNDLE_BUDGET_BYTES = 0.8 * MiB;
const STRIPE_BUNDLE_BUDGET_BYTES = 1 * MiB;
/**
 * SendEmail attaches kept documents to the e-mails of organisations that receive them so (docs/finance.md):
 * S3's client adds 150 KiB to the SES client, nodemailer and the configuration (847 KiB; bench: not met against
 * 600 KiB, as it was at 697). A ceiling so it grows no further.
 */
const MAIL_BUNDLE_BUDGET_BYTES = 0.9 * MiB;
/** A PDF renderer's whole asset (bundle, source map, fonts, pdfkit's run-time files) (6.6 MB today). */
const PDF_ASSET_BUDGET_BYTES = 8 * MiB;

/** Functions that render PDFs: they ship the fonts and pdfkit's run-time files. */
/**
 * The three functions that keep or serve issued documents (ArchiveDocuments at issue, InvoicePdf and RunExport
 * for one not kept yet) also write e-invoices (docs/finance.md): @e-invoice-eu/core brings a PDF/A writer
 * (pdf-lib, for Factur-X), an XML builder and a JSON Schema validator, 2.3 MiB in all (bench: not met against
 * the performance issue's 1.5 MiB for PDF functions; pdfkit, fontkit and swissqrbill alone make 1.15 MiB). A
 * ceiling so they grow no further.
 */
const E_INVOICE_BUNDLE_BUDGET_BYTES = 2.5 * MiB;
const PDF_RENDERERS = ['ArchiveDocuments', 'InvoicePdf', 'RunExport'];

const FUNCTION_IDS = Object.keys(dev.stateless.functions).sort();

function functionResource(id: string): CfnResource {
  const fn = dev.stateless.functions[id]!;
  return dev.statelessTemplate.toJSON().Resources[logicalIdOf(dev.stateless, fn.function)] as CfnResource;
}

function assetDir(id: string): string {
  const metadata = functionResource(id).Metadata as { 'aws:asset:path': string };
  return join(dev.assembly.directory, metadata['aws:asset:path']);
}

/** The function's environment as deployed; references to other resources become stand-in strings. */
function environmentOf(id: string, real: Record<string, string> = {}): Record<string, string> {
  const { Variables } = functionResource(id).Properties.Environment as { Variables: Record<string, unknown> };
  return Object.fromEntries(Object.entries(Variables).map(([name, value]) => [name, real[name] ?? (typeof value === 'string' ? value : `stand-in-for-${name}`)]));
}

/** Functions on aws-runtime.ts: their environment names the configuration file. */
const readsConfig = (id: string) => environmentOf(id).BILLING_CONFIG_FILE !== undefined;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
}

const sizeOf = (dir: string) => filesUnder(dir).reduce((sum, file) => sum + statSync(join(dir, file)).size, 0);
/** The files the bundle was made of, from its source map. */
const sourcesOf = (id: string) => (JSON.parse(readFileSync(join(assetDir(id), 'index.mjs.map'), 'utf8')) as { sources: string[] }).sources;
const carriesStripe = (id: string) => sourcesOf(id).some((f) => /node_modules\/stripe\//.test(f));
const carriesPdfkit = (id: string) => readFileSync(join(assetDir(id), 'index.mjs'), 'utf8').includes('#standard-fonts/Helvetica');

describe('function bundles (esbuild, in the cloud assembly)', () => {
  it("reports every function's bundle size", () => {
    const rows = FUNCTION_IDS.map((id) => ({
      function: id,
      'index.mjs (KiB)': Math.round(statSync(join(assetDir(id), 'index.mjs')).size / 1024),
      'asset (KiB)': Math.round(sizeOf(assetDir(id)) / 1024),
      pdfkit: carriesPdfkit(id),
    }));
    console.info(
      rows
        .map(
          (r) =>
            `bundle ${r.function.padEnd(16)} index.mjs ${String(r['index.mjs (KiB)']).padStart(5)} KiB, asset ${String(r['asset (KiB)']).padStart(5)} KiB${r.pdfkit ? ', pdfkit' : ''}`,
        )
        .join('\n'),
    );
    expect(rows).toHaveLength(27);
  });

  it.each(FUNCTION_IDS)('%s is one minified ESM file with its source map, and no node_modules', (id) => {
    const dir = assetDir(id);
    expect(existsSync(join(dir, 'index.mjs'))).toBe(true);
    expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
    // The construct's banner first (require, __filename, __dirname for CommonJS dependencies), then minified code.
    expect(code.startsWith(BUNDLE_BANNER)).toBe(true);
    expect(code.length / code.split('\n').length).toBeGreaterThan(2000);
  });

  it.each(FUNCTION_IDS.filter((id) => !PDF_RENDERERS.includes(id)))('%s does not carry pdfkit and stays under 0.8 MiB (1 MiB with Stripe, 0.9 MiB for the mail sender)', (id) => {
    expect(carriesPdfkit(id)).toBe(false);
    const budget = carriesStripe(id) ? STRIPE_BUNDLE_BUDGET_BYTES : id === 'SendEmail' ? MAIL_BUNDLE_BUDGET_BYTES : BUNDLE_BUDGET_BYTES;
    expect(statSync(join(assetDir(id), 'index.mjs')).size).toBeLessThan(budget);
    expect(filesUnder(assetDir(id))).toEqual([...(readsConfig(id) ? ['billing-config.json'] : []), 'index.mjs', 'index.mjs.map']);
  });

  it.each(FUNCTION_IDS.filter(readsConfig))("%s carries the stage's configuration as written in config/sample.yaml, and names it in BILLING_CONFIG_FILE", (id) => {
    expect(environmentOf(id).BILLING_CONFIG_FILE).toBe('billing-config.json');
    const deployed = JSON.parse(readFileSync(join(assetDir(id), 'billing-config.json'), 'utf8')) as unknown;
    expect(deployed).toEqual(parseYaml(readFileSync(join(REPO_ROOT, 'config', 'sample.yaml'), 'utf8')));
  });

  it("carries Stripe's SDK exactly in the functions given a Stripe secret, and no X-Ray SDK, WOFF2 decoder or SSO/STS credential chain in any", () => {
    const givenStripe = FUNCTION_IDS.filter((id) => {
      const env = environmentOf(id);
      return env.STRIPE_SECRET_ID !== undefined || env.STRIPE_WEBHOOK_SECRET_ID !== undefined;
    });
    expect(FUNCTION_IDS.filter(carriesStripe)).toEqual(givenStripe);
    // The functions of the night that never charge a card, the lifecycle and the product listing among them.
    for (const id of ['PlanNight', 'RenewProduct', 'ApplyLifecycle', 'SweepLifecycle', 'ListProducts', 'GetCheckout', 'ImportStatement']) expect(givenStripe).not.toContain(id);
    for (const id of FUNCTION_IDS) {
      const sources = sourcesOf(id);
      expect(
        sources.filter((f) => /node_modules\/(aws-xray-sdk-core|brotli|@aws-sdk\/(nested-clients|credential-provider-(sso|ini|node)))\//.test(f)),
        id,
      ).toEqual([]);
    }
  });

  it('carries pdfkit exactly in the PDF renderers (request-export and get-export are wired without the renderer)', () => {
    expect(FUNCTION_IDS.filter(carriesPdfkit)).toEqual([...PDF_RENDERERS].sort());
    for (const id of PDF_RENDERERS) {
      expect(statSync(join(assetDir(id), 'index.mjs')).size, id).toBeLessThan(E_INVOICE_BUNDLE_BUDGET_BYTES);
    }
  });

  it.each(PDF_RENDERERS)("%s ships the DejaVu fonts and pdfkit's run-time files, and names the fonts in BILLING_FONTS_DIR", (id) => {
    const dir = assetDir(id);
    const expected = pdfBundleFiles().map((f) => f.to);
    expect(expected).toEqual(
      expect.arrayContaining([
        'fonts/DejaVuSans.ttf',
        'fonts/DejaVuSans-Bold.ttf',
        'pdfkit/standard-fonts/Helvetica.cjs',
        'pdfkit/standard-fonts/HelveticaBold.cjs',
        'data/sRGB_IEC61966_2_1.icc',
      ]),
    );
    expect(filesUnder(dir)).toEqual(['index.mjs', 'index.mjs.map', 'package.json', ...expected].sort());
    for (const file of pdfBundleFiles()) expect(readFileSync(join(dir, file.to)).equals(readFileSync(file.from)), file.to).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))).toEqual(BUNDLE_PACKAGE_JSON);
    expect(environmentOf(id).BILLING_FONTS_DIR).toBe(FONTS_DIR_IN_BUNDLE);
    expect(sizeOf(dir)).toBeLessThan(PDF_ASSET_BUDGET_BYTES);
  });

  it.each(['OutboxStream', 'SendEmail', 'RecordMailFeedback', 'PublishEvents'])('%s, which never calls Stripe, carries no Stripe code', (id) => {
    expect(readFileSync(join(assetDir(id), 'index.mjs'), 'utf8')).not.toContain('api.stripe.com');
  });

  it('gives no other function the fonts or BILLING_FONTS_DIR', () => {
    for (const id of FUNCTION_IDS.filter((f) => !PDF_RENDERERS.includes(f))) {
      expect(environmentOf(id).BILLING_FONTS_DIR, id).toBeUndefined();
      expect(existsSync(join(assetDir(id), 'fonts')), id).toBe(false);
    }
  });
});

describe('function bundles at a cold start (a fresh Node process outside the repository)', () => {
  const unauthenticated = (routeKey: string, path: string) => apiEvent({ routeKey, path });
  /** An event each function answers without reaching any service once its dependencies are built. */
  const COLD_START: Record<string, { event: unknown; expect: (r: InvokeResult) => void }> = {};
  const sqs = { event: { Records: [] }, expect: (r: InvokeResult) => expect(r).toEqual({ ok: true, value: { batchItemFailures: [] } }) };
  const schedule = {
    // The handler builds its dependencies, then refuses the night.
    event: { night: 'not-a-date' },
    expect: (r: InvokeResult) => expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/night must be a date as YYYY-MM-DD/) }),
  };
  const http = (routeKey: string, path: string, status: number) => ({
    event: unauthenticated(routeKey, path),
    expect: (r: InvokeResult) => expect(r).toMatchObject({ ok: true, value: { statusCode: status } }),
  });
  for (const id of ['RenewProduct', 'ChargeRenewal', 'ApplyLifecycle', 'SettlePayment', 'RunExport', 'ArchiveDocuments']) COLD_START[id] = sqs;
  for (const id of ['PlanNight', 'NightlyCheckouts']) COLD_START[id] = schedule;
  COLD_START.SweepLifecycle = {
    event: { night: 'not-a-date' },
    expect: (r: InvokeResult) => expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/the lifecycle sweep takes no input/) }),
  };
  COLD_START.ImportStatement = { event: { Records: [] }, expect: (r) => expect(r).toEqual({ ok: true, value: [] }) };
  COLD_START.ImportProducts = { event: { Records: [] }, expect: (r) => expect(r).toEqual({ ok: true, value: [] }) };
  COLD_START.DeliverWebhook = { event: { Records: [] }, expect: (r) => expect(r).toEqual({ ok: true, value: { batchItemFailures: [] } }) };
  COLD_START.ListProducts = http('GET /v1/orgs/{orgId}/products', '/v1/orgs/acme/products', 401);
  COLD_START.StartCheckout = http('POST /v1/orgs/{orgId}/checkout', '/v1/orgs/acme/checkout', 401);
  COLD_START.GetCheckout = http('GET /v1/orgs/{orgId}/checkouts/{checkoutId}', '/v1/orgs/acme/checkouts/c1', 401);
  COLD_START.StartTopUp = http('POST /v1/orgs/{orgId}/balance/top-ups', '/v1/orgs/acme/balance/top-ups', 401);
  COLD_START.InvoicePdf = http('GET /v1/orgs/{orgId}/invoices/{file}', '/v1/orgs/acme/invoices/INV-CH-2026-000001.pdf', 401);
  COLD_START.RequestExport = http('POST /v1/exports', '/v1/exports', 401);
  COLD_START.GetExport = http('GET /v1/exports/{exportId}', '/v1/exports/exp-1', 401);
  COLD_START.CustomerAccount = http('GET /v1/orgs/{orgId}/invoices', '/v1/orgs/acme/invoices', 401);
  COLD_START.BackOffice = http('GET /v1/admin/orgs', '/v1/admin/orgs', 401);
  // Public and self-contained: the document itself, from the bundle.
  COLD_START.OpenApi = {
    event: unauthenticated('GET /v1/openapi.json', '/v1/openapi.json'),
    expect: (r: InvokeResult) => {
      expect(r).toMatchObject({ ok: true, value: { statusCode: 200 } });
      expect(JSON.parse((r as { value: { body: string } }).value.body)).toMatchObject({ openapi: '3.1.0', info: { title: expect.any(String) } });
    },
  };
  COLD_START.SendEmail = sqs;
  COLD_START.OutboxStream = { event: { Records: [] }, expect: (r) => expect(r).toEqual({ ok: true, value: { batchItemFailures: [] } }) };
  COLD_START.PublishEvents = { event: { Records: [] }, expect: (r) => expect(r).toEqual({ ok: true, value: { batchItemFailures: [] } }) };
  COLD_START.RecordMailFeedback = { event: { id: 'e-1', detail: {} }, expect: (r) => expect(r).toEqual({ ok: true, value: 'ignored' }) };
  // Public: it fetches the Stripe secret to check the signature, which fails here (closed endpoint) with a 500.
  COLD_START.StripeWebhook = http('POST /v1/webhooks/stripe', '/v1/webhooks/stripe', 500);

  let run: Awaited<ReturnType<typeof invokeBundles>>;
  let withoutStripeSecretId: InvokeResult;
  beforeAll(async () => {
    run = await invokeBundles(FUNCTION_IDS.map((id) => ({ bundleDir: assetDir(id), env: environmentOf(id), event: COLD_START[id]!.event })));
    // The check is not a no-op: StartTopUp with its deployed environment minus STRIPE_SECRET_ID does not start.
    const { STRIPE_SECRET_ID: _dropped, ...env } = environmentOf('StartTopUp');
    [withoutStripeSecretId] = (await invokeBundles([{ bundleDir: assetDir('StartTopUp'), env, event: COLD_START.StartTopUp!.event }])).results as [InvokeResult];
  }, 120_000);

  it('has a cold-start case for every function', () => {
    expect(Object.keys(COLD_START).sort()).toEqual(FUNCTION_IDS);
  });

  it.each(FUNCTION_IDS)('%s loads, exports its handler and builds its dependencies from its deployed environment', (id) => {
    const result = run.results[FUNCTION_IDS.indexOf(id)]!;
    expect(JSON.stringify(result)).not.toMatch(/is not set|Cannot find (module|package)|ERR_MODULE_NOT_FOUND/);
    COLD_START[id]!.expect(result);
  });

  it('logs no missing environment variable and no missing module', () => {
    expect(run.stderr + run.stdout).not.toMatch(/is not set|Cannot find (module|package)/);
  });

  it('would catch a function deployed without STRIPE_SECRET_ID (aws-runtime.ts refuses to start)', () => {
    expect(withoutStripeSecretId).toMatchObject({ ok: false, error: expect.stringMatching(/STRIPE_SECRET_ID is not set/) });
  });
});

describe('PDFs rendered by the bundled functions (DynamoDB Local, a local S3)', () => {
  const TABLE = 'billing-bundle-test';
  const BUCKET = 'billing-documents-test';
  const ARCHIVE = 'billing-archive-test';
  const BUYER = 'Société Générale Zürich';
  const ISSUED: IsoDate = '2026-12-10';
  let db: DynamoDbLocal;
  let s3: LocalS3;
  let store: DynamoDbBillingStore;
  let invoice: Invoice;
  /** The same document for a buyer whose name Helvetica lacks: drawn with the shipped DejaVu fonts. */
  const NAMED = 'Łódź Ștefan Sp. z o.o.';
  let named: Invoice;

  beforeAll(async () => {
    [db, s3] = await Promise.all([startDynamoDbLocal(), startLocalS3()]);
    const client = new DynamoDBClient({ endpoint: db.endpoint, region: 'eu-central-2', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await createTableIfMissing(client, TABLE);
    store = new DynamoDbBillingStore(client, TABLE);
    const clock = { today: () => ISSUED, now: () => `${ISSUED}T09:00:00.000Z` };
    let n = 0;
    const org = await createOrganisation(
      { store, clock, ids: { next: (prefix: string) => `${prefix}-${++n}` } },
      { id: 'acme', name: BUYER, currency: 'CHF', country: 'CH', owner: { userId: 'u-owner', email: 'owner@acme.ch', name: 'Owner' } },
    );
    const priced = priceInvoice(
      [{ description: 'Hébergement web « Élan »', productId: 'p1', periodFrom: '2026-12-31', periodTo: '2027-12-30', unitPrice: Money.of('9.90', 'CHF'), quantity: 12 }],
      { kind: 'domestic', rate: new Decimal('8.1'), country: 'CH' },
      'CHF',
    );
    // Open, so the document carries a Swiss QR-bill, which pdfkit writes in its standard Helvetica.
    invoice = toInvoice(priced, { series: 'INV', seller: DEFAULT_SELLER, year: 2026, sequence: 1 }, org, ISSUED, [], { status: 'open' });
    invoice.amountDue = priced.total.toString();
    invoice.paymentReference = paymentReferenceFor(DEFAULT_SELLER, invoice);
    named = { ...toInvoice(priced, { series: 'INV', seller: DEFAULT_SELLER, year: 2026, sequence: 2 }, org, ISSUED, [], { status: 'open' }) };
    named.buyer = { ...named.buyer, name: NAMED, postal: { street: 'ulica Piotrkowska', buildingNumber: '17', zip: '90-001', city: 'Łódź', country: 'PL' } };
    named.amountDue = priced.total.toString();
    named.paymentReference = paymentReferenceFor(DEFAULT_SELLER, named);
    await store.commit([{ type: 'invoice', invoice }]);
    await store.commit([{ type: 'invoice', invoice: named }]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([db?.stop(), s3?.close()]);
  });

  const local = () => ({ AWS_ENDPOINT_URL_DYNAMODB: db.endpoint, AWS_ENDPOINT_URL_S3: s3.endpoint });
  const text = async (pdf: Buffer) => ((await extractText(new Uint8Array(pdf), { mergePages: true })).text as string).replace(/\s+/g, ' ');

  it("GET /v1/orgs/{orgId}/invoices/{file}: invoice-pdf's bundle answers the PDF in Helvetica, or with the shipped fonts for a name Helvetica lacks, QR-bill included", async () => {
    const env = environmentOf('InvoicePdf', { TABLE_NAME: TABLE, DOCUMENTS_BUCKET: BUCKET, ARCHIVE_BUCKET: ARCHIVE });
    const { BILLING_FONTS_DIR: _fonts, ...withoutFonts } = env;
    const eventOf = (doc: Invoice) =>
      apiEvent({
        routeKey: 'GET /v1/orgs/{orgId}/invoices/{file}',
        path: `/v1/orgs/acme/invoices/${doc.number}.pdf`,
        pathParameters: { orgId: 'acme', file: `${doc.number}.pdf` },
        claims: { sub: 'u-owner', client_id: 'portal' },
      });
    const bundleDir = assetDir('InvoicePdf');
    const { results, stderr } = await invokeBundles(
      [
        // Without BILLING_FONTS_DIR: the Helvetica document needs no font file; the other finds none (no node_modules to fall back on).
        { bundleDir, env: withoutFonts, event: eventOf(invoice), container: 'one' },
        { bundleDir, env: withoutFonts, event: eventOf(named), container: 'two' },
        { bundleDir, env, event: eventOf(named), container: 'three' },
      ],
      { env: local() },
    );
    expect(results[1]).toMatchObject({ ok: true, value: { statusCode: 500 } });
    expect(stderr).toMatch(/dejavu-fonts-ttf/);

    type Answer = { ok: true; value: { statusCode: number; isBase64Encoded: boolean; headers: Record<string, string>; body: string } };
    const pdfOf = (answer: Answer) => {
      expect(answer.ok, JSON.stringify(answer)).toBe(true);
      expect(answer.value).toMatchObject({ statusCode: 200, isBase64Encoded: true, headers: { 'content-type': 'application/pdf' } });
      const pdf = Buffer.from(answer.value.body, 'base64');
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      return pdf;
    };
    const pdf = pdfOf(results[0] as Answer);
    const printed = await text(pdf);
    expect(printed).toContain(invoice.number);
    expect(printed).toContain(BUYER);
    expect(printed).toContain('Hébergement web « Élan »');
    // The QR-bill's receipt, in pdfkit's standard Helvetica (the #standard-fonts modules shipped with the bundle).
    expect(printed).toContain('Récépissé');
    expect(pdf.toString('latin1')).not.toContain('/FontFile2');
    // A final invoice is kept as served, once, locked.
    const kept = `${ARCHIVE}/archive/${invoice.sellerId}/${invoice.year}/${invoice.number}.pdf`;
    expect(s3.objects.get(kept)?.equals(pdf)).toBe(true);
    expect(s3.putHeaders.get(kept)).toMatchObject({ 'if-none-match': '*', 'x-amz-object-lock-mode': 'GOVERNANCE', 'x-amz-object-lock-retain-until-date': '2037-01-01T00:00:00Z' });

    const withFonts = pdfOf(results[2] as Answer);
    // The address block, the receipt and the payment part.
    expect((await text(withFonts)).split(NAMED).length - 1).toBe(3);
    expect(withFonts.toString('latin1')).toContain('/FontFile2');
  }, 120_000);

  it("exports queue: run-export's bundle writes the CSV and a zip of the period's PDFs under exports/ (documents from gsi3)", async () => {
    await store.commit([
      {
        type: 'exportJob',
        job: {
          id: 'exp-1',
          requestedBy: 'u-finance',
          params: { from: '2026-12-01', to: '2026-12-31', lines: false, pdf: true },
          status: 'queued',
          createdAt: `${ISSUED}T10:00:00.000Z`,
        },
        expectedStatus: null,
      },
    ]);
    const { results } = await invokeBundles(
      [
        {
          bundleDir: assetDir('RunExport'),
          env: environmentOf('RunExport', { TABLE_NAME: TABLE, DOCUMENTS_BUCKET: BUCKET, ARCHIVE_BUCKET: ARCHIVE }),
          event: sqsEvent([{ exportId: 'exp-1' }]),
        },
      ],
      { env: local() },
    );
    expect(results[0]).toEqual({ ok: true, value: { batchItemFailures: [] } });
    expect(await store.getExportJob('exp-1')).toMatchObject({ status: 'done', csvKey: 'exports/exp-1.csv', zipKey: 'exports/exp-1-pdf.zip' });
    expect(s3.objects.get(`${BUCKET}/exports/exp-1.csv`)?.toString('utf8')).toContain(invoice.number);
    const zip = unzip(s3.objects.get(`${BUCKET}/exports/exp-1-pdf.zip`)!);
    expect([...zip.keys()].sort()).toEqual([`${invoice.number}.pdf`, `${named.number}.pdf`]);
    const printed = await text(zip.get(`${invoice.number}.pdf`)!);
    expect(printed).toContain(invoice.number);
    expect(printed).toContain(BUYER);
    expect(await text(zip.get(`${named.number}.pdf`)!)).toContain(NAMED);
    // Each as kept: the one served before is zipped as it was served.
    expect(zip.get(`${invoice.number}.pdf`)!.equals(s3.objects.get(`${ARCHIVE}/archive/${invoice.sellerId}/${invoice.year}/${invoice.number}.pdf`)!)).toBe(true);
  }, 120_000);
});

describe('e-mails sent by the bundled functions (DynamoDB Local, local stand-ins for SQS and SES)', () => {
  const TABLE = 'billing-mail-bundle-test';
  const DATE: IsoDate = '2026-12-17';
  const ID = 'p1#renewal-paid';
  let db: DynamoDbLocal;
  let sqs: LocalService;
  let ses: LocalService;
  let client: DynamoDBClient;
  let store: DynamoDbBillingStore;

  beforeAll(async () => {
    // SQS (JSON protocol): every entry accepted, with the MD5 of its body the SDK checks.
    const sqsAnswer = ({ body }: { body: string }) => {
      const { Entries } = JSON.parse(body) as { Entries: { Id: string; MessageBody: string }[] };
      return {
        json: {
          Successful: Entries.map((e) => ({ Id: e.Id, MessageId: `sqs-${e.Id}`, MD5OfMessageBody: createHash('md5').update(e.MessageBody).digest('hex') })),
          Failed: [],
        },
      };
    };
    let sent = 0;
    [db, sqs, ses] = await Promise.all([startDynamoDbLocal(), startLocalService(sqsAnswer), startLocalService(() => ({ json: { MessageId: `ses-msg-${++sent}` } }))]);
    client = new DynamoDBClient({ endpoint: db.endpoint, region: 'eu-central-2', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await createTableIfMissing(client, TABLE);
    store = new DynamoDbBillingStore(client, TABLE);
    let n = 0;
    await createOrganisation(
      { store, clock: { today: () => DATE, now: () => `${DATE}T02:00:00.000Z` }, ids: { next: (prefix: string) => `${prefix}-${++n}` } },
      { id: 'acme', name: 'Acme AG', currency: 'CHF', country: 'CH', language: 'de', owner: { userId: 'u-owner', email: 'owner@acme.ch', name: 'Owner' } },
    );
    const email: OutboxEmail = {
      id: ID,
      date: DATE,
      orgId: 'acme',
      productId: 'p1',
      to: ['owner@acme.ch'],
      template: 'renewal-paid',
      data: { product: 'acme.ch', productId: 'p1', expiry: '2026-12-31', invoice: 'INV-CH-2026-000007', amount: '14.05', currency: 'CHF', newExpiry: '2027-12-31' },
      createdAt: `${DATE}T02:00:00.000Z`,
    };
    await store.commit([{ type: 'email', email }]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([db?.stop(), sqs?.close(), ses?.close()]);
  });

  const local = () => ({ AWS_ENDPOINT_URL_DYNAMODB: db.endpoint, AWS_ENDPOINT_URL_SQS: sqs.endpoint, AWS_ENDPOINT_URL_SESV2: ses.endpoint });

  it('stream → outbox-stream → mail queue → send-email → SES, once although delivered twice; the bounce comes back once', async () => {
    // The stream's new image is the item as the table holds it.
    const key = keys.email(DATE, ID);
    const item = (await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: key.pk }, sk: { S: key.sk } } }))).Item!;
    const queueUrl = `${sqs.endpoint}/123456789012/billing-mail`;
    const stream = await invokeBundles([{ bundleDir: assetDir('OutboxStream'), env: environmentOf('OutboxStream', { MAIL_QUEUE_URL: queueUrl }), event: streamEvent([item]) }], {
      env: local(),
    });
    expect(stream.results[0]).toEqual({ ok: true, value: { batchItemFailures: [] } });
    const queued = sqs.requests.flatMap((r) => (JSON.parse(r.body) as { Entries: { MessageBody: string }[] }).Entries.map((e) => JSON.parse(e.MessageBody) as unknown));
    expect(queued).toEqual([{ date: DATE, id: ID }]);

    // The queue delivers the message twice (at-least-once), to two containers.
    const env = environmentOf('SendEmail', { TABLE_NAME: TABLE });
    const sends = await invokeBundles(
      [
        { bundleDir: assetDir('SendEmail'), env, event: sqsEvent(queued), container: 'a' },
        { bundleDir: assetDir('SendEmail'), env, event: sqsEvent(queued), container: 'b' },
      ],
      { env: local() },
    );
    expect(sends.results).toEqual([
      { ok: true, value: { batchItemFailures: [] } },
      { ok: true, value: { batchItemFailures: [] } },
    ]);
    expect(ses.requests).toHaveLength(1);
    const request = ses.requests[0]!;
    expect([request.method, request.path]).toEqual(['POST', '/v2/email/outbound-emails']);
    const input = JSON.parse(request.body) as {
      FromEmailAddress: string;
      Destination: { ToAddresses: string[] };
      ConfigurationSetName: string;
      EmailTags: { Name: string; Value: string }[];
      Content: { Raw: { Data: string } };
    };
    expect(input.FromEmailAddress).toBe('billing@example-hosting.ch');
    expect(input.Destination.ToAddresses).toEqual(['owner@acme.ch']);
    expect(input.ConfigurationSetName).toBe('billing-dev-mail');
    expect(input.EmailTags).toContainEqual({ Name: 'outbox_date', Value: DATE });
    const mail = await simpleParser(Buffer.from(input.Content.Raw.Data, 'base64'));
    // In the organisation's language (German), written by hand.
    expect(mail.subject).toBe('acme.ch ist bis am 31.12.2027 verlängert');
    expect(mail.headers.get('content-language')).toBe('de');
    expect(mail.text).toContain('CHF 14.05');
    expect(await store.getEmail(DATE, ID)).toMatchObject({ sentRef: 'ses-msg-1' });

    // SES reports a bounce, the way AWS's documentation shows the record, with the tags this message was sent with; delivered twice.
    const tags = Object.fromEntries(input.EmailTags.map((t) => [t.Name, [t.Value]]));
    const bounce = {
      version: '0',
      id: 'eb-1',
      'detail-type': 'Email Bounced',
      source: 'aws.ses',
      account: '123456789012',
      time: '2026-12-17T02:01:00Z',
      region: 'eu-central-2',
      resources: [],
      detail: {
        eventType: 'Bounce',
        bounce: {
          bounceType: 'Permanent',
          bounceSubType: 'General',
          bouncedRecipients: [{ emailAddress: 'owner@acme.ch', action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }],
          timestamp: '2026-12-17T02:01:00.669Z',
          feedbackId: '01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000',
          reportingMTA: 'dsn; mta.example.com',
        },
        mail: {
          timestamp: '2026-12-17T02:00:02.012Z',
          source: 'billing@example-hosting.ch',
          messageId: 'ses-msg-1',
          destination: ['owner@acme.ch'],
          tags: { ...tags, 'ses:configuration-set': ['billing-dev-mail'] },
        },
      },
    };
    const feedback = await invokeBundles(
      [
        { bundleDir: assetDir('RecordMailFeedback'), env: environmentOf('RecordMailFeedback', { TABLE_NAME: TABLE }), event: bounce },
        { bundleDir: assetDir('RecordMailFeedback'), env: environmentOf('RecordMailFeedback', { TABLE_NAME: TABLE }), event: bounce },
      ],
      { env: local() },
    );
    expect(feedback.results).toEqual([
      { ok: true, value: 'recorded' },
      { ok: true, value: 'duplicate-or-unknown' },
    ]);
    expect((await store.getEmail(DATE, ID))!.feedback).toEqual([
      {
        id: '01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000',
        type: 'bounce',
        subType: 'Permanent/General',
        recipients: ['owner@acme.ch'],
        at: '2026-12-17T02:01:00.669Z',
      },
    ]);
  }, 120_000);
});

describe('business events published by the bundled function (DynamoDB Local, a local stand-in for EventBridge)', () => {
  const TABLE = 'billing-events-bundle-test';
  let db: DynamoDbLocal;
  let bus: LocalService;
  let webhookQueue: LocalService;
  let client: DynamoDBClient;

  beforeAll(async () => {
    [db, bus, webhookQueue] = await Promise.all([
      startDynamoDbLocal(),
      startLocalService(({ body }) => {
        const { Entries } = JSON.parse(body) as { Entries: unknown[] };
        return { json: { FailedEntryCount: 0, Entries: Entries.map((_, i) => ({ EventId: `eb-${i}` })) } };
      }),
      startLocalService(({ body }) => {
        const { Entries } = JSON.parse(body) as { Entries: { Id: string; MessageBody: string }[] };
        return {
          json: { Successful: Entries.map((e) => ({ Id: e.Id, MessageId: `sqs-${e.Id}`, MD5OfMessageBody: createHash('md5').update(e.MessageBody).digest('hex') })), Failed: [] },
        };
      }),
    ]);
    client = new DynamoDBClient({ endpoint: db.endpoint, region: 'eu-central-2', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await createTableIfMissing(client, TABLE);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([db?.stop(), bus?.close(), webhookQueue?.close()]);
  });

  it("stream → publish-events → the stage's bus: each event of the commit, as the published schema says", async () => {
    // A block applied: the commit a lifecycle worker makes, through the store that adds its events.
    const store = withBusinessEvents(new DynamoDbBillingStore(client, TABLE));
    const command = { id: 'p1#block', date: '2026-12-20', orgId: 'acme', productId: 'p1', action: 'block', status: 'pending', createdAt: '2026-12-20T02:00:00.000Z' } as const;
    await store.commit([{ type: 'lifecycle', command, expectedStatus: null }]);
    await store.commit([{ type: 'lifecycle', command: { ...command, status: 'applied', appliedAt: '2026-12-20T02:05:00.000Z' }, expectedStatus: 'pending' }]);
    const [record] = await store.listEventRecords('2026-12-20');
    const key = keys.eventRecord('2026-12-20', record!.id);
    const item = (await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: key.pk }, sk: { S: key.sk } } }))).Item!;
    const queueUrl = `${webhookQueue.endpoint}/123456789012/billing-webhooks`;
    const run = await invokeBundles([{ bundleDir: assetDir('PublishEvents'), env: environmentOf('PublishEvents', { WEBHOOK_QUEUE_URL: queueUrl }), event: streamEvent([item]) }], {
      env: { AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint, AWS_ENDPOINT_URL_SQS: webhookQueue.endpoint },
    });
    expect(run.results[0]).toEqual({ ok: true, value: { batchItemFailures: [] } });
    expect(bus.requests).toHaveLength(1);
    expect(bus.requests[0]!.headers['x-amz-target']).toBe('AWSEvents.PutEvents');
    const { Entries } = JSON.parse(bus.requests[0]!.body) as { Entries: { EventBusName: string; Source: string; DetailType: string; Detail: string }[] };
    expect(Entries.map((e) => [e.EventBusName, e.Source, e.DetailType])).toEqual([['billing-dev', 'billing-engine', 'billing.product.blocked.v1']]);
    const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'events.schema.json'), 'utf8')) as Record<string, unknown>;
    const validate = new Ajv2020({ strict: false, validateFormats: false }).compile(schema);
    const detail = JSON.parse(Entries[0]!.Detail) as unknown;
    expect(validate(detail), JSON.stringify(validate.errors)).toBe(true);
    expect(detail).toMatchObject({ subject: 'orgs/acme/products/p1', time: '2026-12-20T02:05:00.000Z', data: { orgId: 'acme', productId: 'p1', date: '2026-12-20' } });
    // And the same envelope on the webhook queue, for the provider's endpoint.
    const queued = webhookQueue.requests.flatMap((r) => (JSON.parse(r.body) as { Entries: { MessageBody: string }[] }).Entries.map((e) => JSON.parse(e.MessageBody) as unknown));
    expect(queued).toEqual([{ event: detail }]);
  }, 120_000);
});
