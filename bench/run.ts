/**
 * The benchmark suite: `npm run bench` (about 7 minutes on 2 cores) or
 * `npm run bench -- --quick` (about 2 minutes, smaller sizes).
 *
 * Each part runs in a child process of its own, one after the other, so a
 * part's memory (the export's peak RSS above all) and CPU are its own. Each
 * throughput figure is measured beside its floor in the same child and given
 * as a ratio, because this machine is shared and noisy. Writes
 * bench/results.json (the headline figures, the targets, every part's
 * output) and renders its tables into docs/benchmarks.md, and prints the headline.
 *
 *   --quick            smaller sizes
 *   --parts a,b        only these parts (query, renewal, ranges, numbering, reconcile, pdf, export, cli, listing, bundles)
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue, hasFlag, RESULT_MARKER, round } from './lib/cli.ts';
import { ASSUMPTIONS, costOfMillion, PRICES, stripeBillingChf, type CostInputs } from './lib/cost-model.ts';
import { dynamoDbLocalVersion } from './lib/dynamo.ts';
import { withResultsBlock } from './lib/docs-block.ts';
import type { Output } from './lib/report.ts';

const here = dirname(fileURLToPath(import.meta.url));
const quick = hasFlag('--quick');
const parts = new Set((argValue('--parts') ?? 'query,renewal,ranges,numbering,reconcile,pdf,export,cli,listing,bundles').split(','));

const SIZES = quick
  ? {
      numbering: '120',
      query: '2000,10000',
      renewals: '100',
      ranges: '100',
      pdfRounds: '3',
      pdfDocs: '15',
      exports: [10_000, 100_000],
      listing: '5000',
      reconcile: ['20000', '400'],
    }
  : {
      numbering: '480',
      query: '10000,100000',
      renewals: '300',
      ranges: '300',
      pdfRounds: '6',
      pdfDocs: '40',
      exports: [10_000, 100_000, 1_000_000],
      listing: '20000',
      reconcile: ['100000', '2000'],
    };

const TARGETS = {
  itemsReadPerDueProduct: 1.05,
  /** Issue 15: engine ÷ the independent floor, at every concurrency of the run (1, 4 and 16). */
  renewalsPerSecondRatio: 0.8,
  /** Issue 15: DynamoDB calls per renewal as deployed, and write units (AWS's rules) of the 40/40/20 mix. */
  balanceCallsPerRenewal: 3,
  cardCallsPerRenewal: 5,
  writeUnitsPerRenewal: 16,
  costPerMillionUsd: 15,
  /** Issue 15: transactions lost on the invoice counter per renewal, 24 processes on one table. */
  lostTransactionsPerRenewal: 0.05,
  /** Issue 15: the engine's page at ≥ 0.8 of the same page drawn by hand in Helvetica. */
  pdfRatio: 0.8,
  exportRowsPerSecond: 20_000,
  exportPeakRssMb: 250,
  cliReadMedianMs: 1500,
  cliHelpMedianMs: 500,
  npmStartMs: 15_000,
  /** Listing at any size (issue 15): one read a page, whatever the organisation holds. */
  listingQueriesPerPage: 1,
  /** Issue 15: the events of 1,000,000 card renewals reconciled by the hourly runs of one day. */
  reconcileRunsForMillion: 24,
  /** Issue 15: index.mjs of a function without PDFs, and of one with (KiB). */
  bundleKiB: 600,
  pdfBundleKiB: 1536,
} as const;

/** Runs `bench/<script>` in its own Node process (through tsx) and returns the JSON it printed. */
function runPart(label: string, script: string, args: string[]): Promise<unknown> {
  process.stderr.write(`\n== ${label}: ${['tsx', `bench/${script}`, ...args].join(' ')}\n`);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, script), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => process.stderr.write(b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${label} exited with code ${code}`));
      const lines = out.trim().split('\n');
      const marked = lines.find((l) => l.startsWith(RESULT_MARKER));
      const json = marked ? marked.slice(RESULT_MARKER.length) : lines.reverse().find((l) => l.trim().startsWith('{'));
      if (!json) return reject(new Error(`${label} printed no result`));
      process.stderr.write(`== ${label}: ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
      resolve(JSON.parse(json));
    });
  });
}

function machine() {
  const java = spawnSync(process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java', ['-version'], { encoding: 'utf8' });
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    java: (java.stderr ?? '').split('\n')[0]?.trim() || 'not found',
    dynamoDbLocal: dynamoDbLocalVersion(),
  };
}

// ------------------------------------------------------------------ parts

interface QueryResult {
  sizes: { products: number; due: number; index: { itemsPerDue: number; capacityPerDue: number }; scan: { itemsPerDue: number } }[];
  itemsReadPerDueProduct: number;
}
interface EngineRun {
  concurrency: number;
  renewalsPerSecond: number;
  callsPerRenewal: number;
  failedCallsPerRenewal: number;
  cpuMsPerRenewal: number;
  queues: Record<string, { messages: number; sendRequests: number }>;
  documentWritesPerRenewal: number;
}
type RenewalRecording = {
  kinds: { kind: string; calls: number; pathCalls?: number; writeUnits: number; awsWriteUnits: number; pathAwsWriteUnits?: number; byCommand: Record<string, number> }[];
  perRenewal: {
    calls: number;
    pathCalls?: number;
    writeUnits: number;
    readUnits: number;
    awsWriteUnits: number;
    pathAwsWriteUnits?: number;
    awsReadUnits: number;
    transactions: number;
    cardCharges: number;
    emails?: number;
  };
};
interface RenewalResult {
  renewals: number;
  ranges: number;
  recording: RenewalRecording;
  floorRecording?: RenewalRecording;
  worstRatio?: number;
  runs: { concurrency: number; engine: EngineRun; floor: { renewalsPerSecond: number }; ratio: number }[];
  best: { engine: EngineRun; floor: { concurrency: number; renewalsPerSecond: number } };
  renewalsPerSecondRatio: number;
}
interface PdfResult {
  enginePerSecond: number;
  floorPerSecond: number;
  pdfRatio: number;
}
interface CliResult {
  help: { medianMs: number };
  read: { medianMs: number };
  demoMs: number;
}
interface ExportResult {
  rows: number;
  rowsPerSecond: number;
  peakRssMb: number;
  /** Rows per second of each repeat, when repeated (the figure is their median). */
  tries?: number[];
}

const results: Record<string, unknown> = {};
const startedAt = new Date();
const suiteStart = performance.now();

if (parts.has('query')) results.query = await runPart('nightly query cost', 'query-bench.ts', ['--sizes', SIZES.query]);
if (parts.has('renewal')) results.renewal = await runPart('renewals per second', 'renewal-bench.ts', ['--renewals', SIZES.renewals, '--concurrency', '1,4,16']);
if (parts.has('ranges')) {
  // The same, with the invoice numbers split over 8 ranges (seller.invoiceSeriesShards = 8): how much of the gap is the one counter.
  results.ranges = await runPart('renewals per second, 8 number ranges', 'renewal-bench.ts', ['--renewals', SIZES.ranges, '--concurrency', '1,4,16', '--ranges', '8']);
}
if (parts.has('numbering')) {
  results.numbering = await runPart('invoice numbers under 1, 4 and 24 processes', 'numbering-bench.ts', [
    '--renewals',
    SIZES.numbering,
    '--processes',
    '1,4,24',
    '--ranges',
    '1,8',
    '--by-process',
    '32',
  ]);
}
if (parts.has('pdf')) results.pdf = await runPart('PDFs per second', 'pdf-bench.ts', ['--rounds', SIZES.pdfRounds, '--docs', SIZES.pdfDocs]);
if (parts.has('export')) {
  const runs: ExportResult[] = [];
  for (const count of SIZES.exports) {
    // 100,000 (the target's size) three times, the median taken: no floor to stand beside this one, and the machine is noisy.
    const repeats = count === 100_000 ? 3 : 1;
    const tries: ExportResult[] = [];
    for (let i = 0; i < repeats; i++) tries.push((await runPart(`export ${count.toLocaleString('en-US')} invoices`, 'export-bench.ts', [String(count)])) as ExportResult);
    tries.sort((a, b) => a.rowsPerSecond - b.rowsPerSecond);
    runs.push({ ...tries[Math.floor(tries.length / 2)]!, peakRssMb: Math.max(...tries.map((t) => t.peakRssMb)), tries: tries.map((t) => t.rowsPerSecond) });
  }
  results.export = runs;
}
if (parts.has('reconcile')) {
  results.reconcile = await runPart("a night's provider events reconciled", 'reconcile-bench.ts', ['--events', SIZES.reconcile[0]!, '--checkouts', SIZES.reconcile[1]!]);
}
if (parts.has('listing')) results.listing = await runPart("one page of a large organisation's products", 'listing-bench.ts', ['--products', SIZES.listing]);
if (parts.has('bundles')) results.bundles = await runPart('function bundles and their import time', 'bundle-bench.ts', ['--repeats', quick ? '3' : '5']);
if (parts.has('cli')) results.cli = await runPart('CLI answer times', 'cli-bench.ts', ['--repeats', quick ? '5' : '9', '--demo-repeats', quick ? '1' : '3']);

// ------------------------------------------------------------------ headline figures

const query = results.query as QueryResult | undefined;
const renewal = results.renewal as RenewalResult | undefined;
const pdf = results.pdf as PdfResult | undefined;
const exports = results.export as ExportResult[] | undefined;
const cli = results.cli as CliResult | undefined;
const listing = results.listing as
  { page: { queriesPerPage: number; capacityUnitsPerPage: number; medianMs: number }; unpaginated: { capacityUnits: number; ms: number }; products: number } | undefined;
const reconcile = results.reconcile as { million: { runsNeeded: number; providerSecondsAtPace: number; runSeconds: number } } | undefined;
const bundles = results.bundles as
  | {
      summary: {
        plainWithinBudget: number;
        plain: number;
        plainWithoutStripeWithinBudget: number;
        plainWithoutStripe: number;
        pdfWithinBudget: number;
        pdf: number;
        stripeOnlyWhereCalled: boolean;
        largestPlainKiB: number;
        largestPdfKiB: number;
        slowestImportMs: number;
      };
    }
  | undefined;
const numbering = results.numbering as
  { lostPerRenewalAtMostProcesses: number; floorLostPerRenewal: number; runs: { ranges: number; by?: string; processes: number; lostPerRenewal: number }[] } | undefined;
const export100k = exports?.find((e) => e.rows === 100_000) ?? exports?.at(-1);

let cost: ReturnType<typeof costOfMillion> | undefined;
let costAwsRules: ReturnType<typeof costOfMillion> | undefined;
let costAwsRulesByProcess: ReturnType<typeof costOfMillion> | undefined;
let costInputs: CostInputs | undefined;
if (renewal) {
  const rec = renewal.recording;
  const best = renewal.best.engine;
  // The final transaction's units (the balance renewal is that one transaction), to charge each lost one.
  const finalTx = rec.kinds.find((k) => k.kind === 'balance');
  // Lost races as deployed: 24 containers on one table (20 renew-product, 4 charge-renewal), measured by the
  // numbering part with the sample stage's numbering (one range); the engine runs are one process and lose none.
  const deployedRun = numbering?.runs.find((r) => r.processes === 24 && r.ranges === 1 && (r.by ?? 'organisation') === 'organisation');
  const lostTx = deployedRun ? deployedRun.lostPerRenewal : best.failedCallsPerRenewal;
  // Each lost transaction costs its write units and a read of the counter before the next try.
  const extraGets = Math.max(0, best.callsPerRenewal - rec.perRenewal.calls - best.failedCallsPerRenewal) + (deployedRun ? lostTx : 0);
  const queues = Object.values(best.queues);
  costInputs = {
    writeUnits: rec.perRenewal.writeUnits,
    readUnits: rec.perRenewal.readUnits,
    awsWriteUnits: rec.perRenewal.awsWriteUnits,
    awsReadUnits: rec.perRenewal.awsReadUnits,
    retryReadUnits: extraGets,
    retryWriteUnits: lostTx * (finalTx?.writeUnits ?? 0),
    planReadUnits: query ? Math.max(...query.sizes.map((s) => s.index.capacityPerDue)) : 0,
    gets: rec.perRenewal.calls - rec.perRenewal.transactions,
    transactions: rec.perRenewal.transactions,
    cardShare: rec.perRenewal.cardCharges,
    // The engine runs charge inline; as deployed a card renewal also goes through the charge queue, and each
    // e-mail through the mail queue (the outbox stream sends them in batches of up to 10).
    messages: queues.reduce((s, q) => s + q.messages, 0) + rec.perRenewal.cardCharges + (rec.perRenewal.emails ?? 0),
    sendRequests: queues.reduce((s, q) => s + q.sendRequests, 0) + rec.perRenewal.cardCharges + (rec.perRenewal.emails ?? 0) / 10,
    cpuMs: renewal.runs[0]!.engine.cpuMsPerRenewal,
    s3Puts: best.documentWritesPerRenewal,
  };
  cost = costOfMillion(costInputs);
  costAwsRules = costOfMillion({ ...costInputs, retryWriteUnits: lostTx * (finalTx?.awsWriteUnits ?? 0) }, { awsRules: true });
  // The same with the seller numbering by process (no lost race, no counter read).
  costAwsRulesByProcess = costOfMillion(
    { ...costInputs, retryWriteUnits: 0, retryReadUnits: Math.max(0, costInputs.retryReadUnits - (deployedRun ? lostTx : 0)) },
    { awsRules: true },
  );
}

// The targets count what the floor does (renew, charge, settle); the e-mails' delivery is shown beside them and priced in the cost.
const kindCalls = (r: RenewalRecording | undefined, kind: string) => {
  const k = r?.kinds.find((x) => x.kind === kind);
  return k ? (k.pathCalls ?? k.calls) : null;
};
const kindCallsWithMail = (r: RenewalRecording | undefined, kind: string) => r?.kinds.find((k) => k.kind === kind)?.calls ?? null;
const headline = {
  itemsReadPerDueProduct: query ? round(query.itemsReadPerDueProduct, 3) : null,
  // Engine ÷ the independent floor: the least of the concurrencies (1, 4, 16) of the run.
  renewalsPerSecondRatio: renewal ? (renewal.worstRatio ?? renewal.renewalsPerSecondRatio) : null,
  balanceCallsPerRenewal: kindCalls(renewal?.recording, 'balance'),
  cardCallsPerRenewal: kindCalls(renewal?.recording, 'card'),
  writeUnitsPerRenewal: renewal ? (renewal.recording.perRenewal.pathAwsWriteUnits ?? renewal.recording.perRenewal.awsWriteUnits) : null,
  balanceCallsWithMail: kindCallsWithMail(renewal?.recording, 'balance'),
  cardCallsWithMail: kindCallsWithMail(renewal?.recording, 'card'),
  writeUnitsWithMail: renewal ? renewal.recording.perRenewal.awsWriteUnits : null,
  floorBalanceCallsPerRenewal: kindCalls(renewal?.floorRecording, 'balance'),
  floorCardCallsPerRenewal: kindCalls(renewal?.floorRecording, 'card'),
  floorWriteUnitsPerRenewal: renewal?.floorRecording ? renewal.floorRecording.perRenewal.awsWriteUnits : null,
  lostTransactionsPerRenewal: numbering ? numbering.lostPerRenewalAtMostProcesses : null,
  floorLostTransactionsPerRenewal: numbering ? numbering.floorLostPerRenewal : null,
  pdfRatio: pdf ? pdf.pdfRatio : null,
  exportRowsPerSecond: export100k ? export100k.rowsPerSecond : null,
  exportPeakRssMb: exports ? Math.max(...exports.map((e) => e.peakRssMb)) : null,
  costPerMillionRenewalsUsd: cost ? round(cost.totalUsd, 2) : null,
  cliReadMedianMs: cli ? cli.read.medianMs : null,
  cliHelpMedianMs: cli ? cli.help.medianMs : null,
  npmStartMs: cli ? cli.demoMs : null,
  listingQueriesPerPage: listing ? listing.page.queriesPerPage : null,
  reconcileRunsForMillion: reconcile ? reconcile.million.runsNeeded : null,
  // The provider's pace alone (no engine time at all): the fewest runs any design needs.
  floorReconcileRunsForMillion: reconcile ? Math.ceil(reconcile.million.providerSecondsAtPace / reconcile.million.runSeconds) : null,
  listingCapacityUnitsPerPage: listing ? listing.page.capacityUnitsPerPage : null,
  largestBundleKiB: bundles ? bundles.summary.largestPlainKiB : null,
  bundlesWithinBudget: bundles ? `${bundles.summary.plainWithinBudget} of ${bundles.summary.plain}` : null,
  largestPdfBundleKiB: bundles ? bundles.summary.largestPdfKiB : null,
  stripeOnlyWhereCalled: bundles ? bundles.summary.stripeOnlyWhereCalled : null,
  slowestBundleImportMs: bundles ? bundles.summary.slowestImportMs : null,
};
const met = (x: number | null, ok: (v: number) => boolean) => (x === null ? null : ok(x));
const targets = {
  itemsReadPerDueProduct: { target: `≤ ${TARGETS.itemsReadPerDueProduct}`, met: met(headline.itemsReadPerDueProduct, (v) => v <= TARGETS.itemsReadPerDueProduct) },
  renewalsPerSecondRatio: {
    target: `≥ ${TARGETS.renewalsPerSecondRatio} at every concurrency`,
    met: met(headline.renewalsPerSecondRatio, (v) => v >= TARGETS.renewalsPerSecondRatio),
  },
  balanceCallsPerRenewal: { target: `≤ ${TARGETS.balanceCallsPerRenewal}`, met: met(headline.balanceCallsPerRenewal, (v) => v <= TARGETS.balanceCallsPerRenewal) },
  cardCallsPerRenewal: { target: `≤ ${TARGETS.cardCallsPerRenewal}`, met: met(headline.cardCallsPerRenewal, (v) => v <= TARGETS.cardCallsPerRenewal) },
  writeUnitsPerRenewal: { target: `≤ ${TARGETS.writeUnitsPerRenewal}`, met: met(headline.writeUnitsPerRenewal, (v) => v <= TARGETS.writeUnitsPerRenewal) },
  lostTransactionsPerRenewal: {
    target: `≤ ${TARGETS.lostTransactionsPerRenewal} with 24 processes`,
    met: met(headline.lostTransactionsPerRenewal, (v) => v <= TARGETS.lostTransactionsPerRenewal),
  },
  pdfRatio: { target: `≥ ${TARGETS.pdfRatio}`, met: met(headline.pdfRatio, (v) => v >= TARGETS.pdfRatio) },
  exportRowsPerSecond: { target: `≥ ${TARGETS.exportRowsPerSecond}`, met: met(headline.exportRowsPerSecond, (v) => v >= TARGETS.exportRowsPerSecond) },
  exportPeakRssMb: { target: `< ${TARGETS.exportPeakRssMb}`, met: met(headline.exportPeakRssMb, (v) => v < TARGETS.exportPeakRssMb) },
  cliReadMedianMs: { target: `≤ ${TARGETS.cliReadMedianMs}`, met: met(headline.cliReadMedianMs, (v) => v <= TARGETS.cliReadMedianMs) },
  cliHelpMedianMs: { target: `≤ ${TARGETS.cliHelpMedianMs}`, met: met(headline.cliHelpMedianMs, (v) => v <= TARGETS.cliHelpMedianMs) },
  npmStartMs: { target: `≤ ${TARGETS.npmStartMs}`, met: met(headline.npmStartMs, (v) => v <= TARGETS.npmStartMs) },
  // Priced by DynamoDB's billing rules on the items' sizes (what AWS charges), not DynamoDB Local's report.
  costPerMillionRenewalsUsd: {
    target: `≤ ${TARGETS.costPerMillionUsd} (AWS's unit rules)`,
    met: met(costAwsRules ? round(costAwsRules.totalUsd, 2) : null, (v) => v <= TARGETS.costPerMillionUsd),
  },
  costPerMillionRenewalsUsdNumberedByProcess: {
    target: `≤ ${TARGETS.costPerMillionUsd} (AWS's unit rules)`,
    met: met(costAwsRulesByProcess ? round(costAwsRulesByProcess.totalUsd, 2) : null, (v) => v <= TARGETS.costPerMillionUsd),
  },
  listingQueriesPerPage: { target: `≤ ${TARGETS.listingQueriesPerPage}`, met: met(headline.listingQueriesPerPage, (v) => v <= TARGETS.listingQueriesPerPage) },
  reconcileRunsForMillion: {
    target: `≤ ${TARGETS.reconcileRunsForMillion} (the hourly runs of a day)`,
    met: met(headline.reconcileRunsForMillion, (v) => v <= TARGETS.reconcileRunsForMillion),
  },
  largestBundleKiB: { target: `≤ ${TARGETS.bundleKiB} (every function without PDFs)`, met: met(headline.largestBundleKiB, (v) => v <= TARGETS.bundleKiB) },
  largestPdfBundleKiB: { target: `≤ ${TARGETS.pdfBundleKiB}`, met: met(headline.largestPdfBundleKiB, (v) => v <= TARGETS.pdfBundleKiB) },
  stripeOnlyWhereCalled: { target: 'no Stripe code where no Stripe secret', met: headline.stripeOnlyWhereCalled },
};

const output = {
  ...headline,
  costPerMillionRenewalsUsdByAwsRules: costAwsRules ? round(costAwsRules.totalUsd, 2) : null,
  costPerMillionRenewalsUsdNumberedByProcess: costAwsRulesByProcess ? round(costAwsRulesByProcess.totalUsd, 2) : null,
  stripeBillingPerMillionRenewalsChf: stripeBillingChf().total,
  targets,
  date: startedAt.toISOString(),
  command: `npx tsx bench/run.ts${quick ? ' --quick' : ''}${argValue('--parts') ? ` --parts ${argValue('--parts')}` : ''}`,
  seconds: Math.round((performance.now() - suiteStart) / 1000),
  machine: machine(),
  cost:
    cost && costAwsRules
      ? { prices: PRICES, assumptions: ASSUMPTIONS, inputs: costInputs, measuredUnits: cost, awsRuleUnits: costAwsRules, stripeBilling: stripeBillingChf() }
      : null,
  parts: results,
};
writeFileSync(join(here, 'results.json'), `${JSON.stringify(output, null, 2)}\n`);
const page = join(here, '..', 'docs', 'benchmarks.md');
writeFileSync(page, withResultsBlock(readFileSync(page, 'utf8'), output as unknown as Output));
process.stderr.write(`\nwrote bench/results.json and its figures in docs/benchmarks.md in ${output.seconds} s\n`);
process.stdout.write(`${JSON.stringify({ ...headline, targets: Object.fromEntries(Object.entries(targets).map(([k, v]) => [k, v.met])) }, null, 2)}\n`);
