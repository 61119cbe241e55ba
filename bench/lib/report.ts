/** The tables of one run of bench/run.ts, from what it writes to results.json (rendered into docs/benchmarks.md). */

/* The run's output, as far as the tables read it. */
export interface Output {
  date: string;
  command: string;
  seconds: number;
  machine: { cores: number; cpu: string; memoryGb: number; node: string; java: string; dynamoDbLocal: string };
  itemsReadPerDueProduct: number | null;
  renewalsPerSecondRatio: number | null;
  pdfRatio: number | null;
  exportRowsPerSecond: number | null;
  exportPeakRssMb: number | null;
  costPerMillionRenewalsUsd: number | null;
  costPerMillionRenewalsUsdByAwsRules: number | null;
  cliReadMedianMs?: number | null;
  cliHelpMedianMs?: number | null;
  npmStartMs?: number | null;
  stripeBillingPerMillionRenewalsChf: number;
  targets: Record<string, { target: string; met: boolean | null }>;
  cost: null | {
    prices: Record<string, string | number>;
    assumptions: Record<string, number>;
    measuredUnits: { lines: { item: string; quantity: string; usd: number }[]; totalUsd: number; perRenewalUsd: number };
    awsRuleUnits: { lines: { item: string; quantity: string; usd: number }[]; totalUsd: number; perRenewalUsd: number };
    stripeBilling: { perRenewal: number; total: number };
  };
  parts: Record<string, unknown>;
}

interface Query {
  sizes: {
    products: number;
    tableItems: number;
    due: number;
    index: { itemsRead: number; capacityUnits: number; itemsPerDue: number; capacityPerDue: number; calls: number; ms: number };
    scan: { itemsRead: number; capacityUnits: number; itemsPerDue: number; capacityPerDue: number; calls: number; ms: number };
  }[];
}

interface Reconcile {
  renewalEvents: number;
  checkoutEvents: number;
  lostWebhooks: number;
  result: { listed: number; missing: number; queued: number; windows: number };
  pages: number;
  dynamoDbCallsByCommand: Record<string, number>;
  seconds: number;
  enginePerPageMs: number;
  million: { pages: number; providerSecondsAtPace: number; seconds: number; runSeconds: number; runsNeeded: number; chargeHours: number; chargesPerSecond: number };
}

interface Renewal {
  renewals: number;
  ranges: number;
  recording: {
    kinds: {
      kind: string;
      renewals: number;
      calls: number;
      mailCalls?: number;
      writeUnits: number;
      readUnits: number;
      awsWriteUnits: number;
      pathAwsWriteUnits?: number;
      awsReadUnits: number;
      transactItems: number[];
      sequence: string[];
      awsWriteUnitsByItem?: Record<string, number>;
    }[];
    perRenewal: { calls: number; writeUnits: number; readUnits: number; awsWriteUnits: number; awsReadUnits: number };
    night: { calls: number };
  };
  runs: {
    concurrency: number;
    engine: {
      renewalsPerSecond: number;
      callsPerRenewal: number;
      failedCallsPerRenewal: number;
      cpuMsPerRenewal: number;
      failures: Record<string, number>;
      seconds: number;
      deadLetters: { productId: string; kind: string; nextActionDate: string | null; attempts: string[]; charged: boolean }[];
    };
    floor: { renewalsPerSecond: number; seconds: number; runs?: number[] };
    ratio: number;
  }[];
  best: { engine: { concurrency: number; renewalsPerSecond: number }; floor: { concurrency: number; renewalsPerSecond: number } };
  renewalsPerSecondRatio: number;
}

interface Cli {
  repeats: number;
  firstCallMs: number;
  help: { medianMs: number; runsMs: number[] };
  demoMs: number;
  /** Older results have the demo's one run only. */
  demoRunsMs?: number[];
  read: { medianMs: number; runsMs: number[] };
  readAfterStopMs: number;
}

interface Pdf {
  document: { number: string; bytes: number; floorBytes?: number; embeddedBytes?: number };
  enginePerSecond: number;
  floorPerSecond: number;
  engineRates: number[];
  floorRates: number[];
  pdfRatio: number;
  /** Absent from runs before the floor was drawn by hand (2026-12-04). */
  embeddedPerSecond?: number;
  embeddedRatio?: number;
}

interface Export {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMb: number;
  csvMb: number;
  tries?: number[];
}

const n = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const yes = (m: boolean | null) => (m === null ? 'not run' : m ? '**met**' : '**not met**');

interface Listing {
  products: number;
  limit: number;
  page: { medianMs: number; queriesPerPage: number; capacityUnitsPerPage: number };
  allPages: { pages: number; ms: number; queries: number; capacityUnits: number };
  unpaginated: { ms: number; queries: number; capacityUnits: number };
}

function table(head: string[], rows: (string | number)[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function renewalTables(r: Renewal): string {
  const out: string[] = [];
  out.push(
    table(
      [
        'renewal-queue concurrency (batches of 10 in flight)',
        'engine renewals/s',
        'floor renewals/s (before, after)',
        'engine ÷ floor',
        'engine DynamoDB calls / renewal',
        'of which failed (cancelled transactions)',
        'engine CPU ms / renewal',
        'dead-lettered',
      ],
      r.runs.map((x) => [
        x.concurrency,
        n(x.engine.renewalsPerSecond, 1),
        `${n(x.floor.renewalsPerSecond, 1)} (${(x.floor.runs ?? []).map((f) => n(f, 1)).join(', ')})`,
        n(x.ratio, 2),
        n(x.engine.callsPerRenewal, 1),
        n(x.engine.failedCallsPerRenewal, 2),
        n(x.engine.cpuMsPerRenewal, 1),
        x.engine.deadLetters.length,
      ]),
    ),
  );
  out.push('');
  out.push(
    `Best: engine ${n(r.best.engine.renewalsPerSecond, 1)}/s at concurrency ${r.best.engine.concurrency}, floor ${n(r.best.floor.renewalsPerSecond, 1)}/s at concurrency ${r.best.floor.concurrency}: **${n(r.renewalsPerSecondRatio, 2)}**.`,
  );
  out.push('');
  out.push('Why transactions were cancelled (cancelled items by reason and key, whole run):');
  out.push('');
  out.push(
    table(
      ['concurrency', 'cancelled items'],
      r.runs.map((x) => [
        x.concurrency,
        Object.entries(x.engine.failures)
          .map(([k, v]) => `${k}: ${v}`)
          .join(', ') || 'none',
      ]),
    ),
  );
  const dead = r.runs.flatMap((x) => x.engine.deadLetters.map((d) => ({ ...d, concurrency: x.concurrency })));
  if (dead.length > 0) {
    out.push('', 'Renewals dead-lettered (5 deliveries, each losing its 12 tries) and the state they were left in:', '');
    out.push(
      table(
        ['concurrency', 'product', 'payment', 'next action date left', 'attempts', 'card charged without invoice'],
        dead.map((d) => [d.concurrency, d.productId, d.kind, d.nextActionDate ?? '–', d.attempts.join(', ') || 'none', d.charged ? 'yes' : 'no']),
      ),
    );
  }
  return out.join('\n');
}

/** The rows of issue 15's targets that a run recorded (older runs have none). */
function issue15Rows(o: Output): (string | number)[][] {
  const figures = o as unknown as Record<string, number | string | boolean | null | undefined>;
  const row = (label: string, key: string, valueKey = key, digits = 0) => {
    const t = o.targets[key];
    if (!t) return [];
    const v = figures[valueKey];
    return [[label, v === null || v === undefined ? '–' : typeof v === 'number' ? n(v, digits) : String(v), t.target, yes(t.met)]];
  };
  // Runs before the e-mails' delivery was told apart counted it in the figure itself: nothing to add.
  const path = typeof figures.balanceCallsWithMail === 'number' ? ': renew, charge, settle' : '';
  const withMail = (key: string) => {
    const v = figures[key];
    return typeof v === 'number' ? `; with the e-mail's delivery: ${n(v, 1)}` : '';
  };
  const floor = (key: string) => {
    const v = figures[key];
    return v === null || v === undefined ? '' : ` (floor: ${typeof v === 'number' ? n(v, 1) : String(v)})`;
  };
  return [
    ...row(
      `DynamoDB calls per balance-paid renewal, as deployed${path}${floor('floorBalanceCallsPerRenewal')}${withMail('balanceCallsWithMail')}`,
      'balanceCallsPerRenewal',
      'balanceCallsPerRenewal',
      1,
    ),
    ...row(
      `DynamoDB calls per card renewal, as deployed${path}${floor('floorCardCallsPerRenewal')}${withMail('cardCallsWithMail')}`,
      'cardCallsPerRenewal',
      'cardCallsPerRenewal',
      1,
    ),
    ...row(
      `write units per renewal, mix 40/40/20, AWS's rules${floor('floorWriteUnitsPerRenewal')}${withMail('writeUnitsWithMail')}`,
      'writeUnitsPerRenewal',
      'writeUnitsPerRenewal',
      1,
    ),
    ...row(`runs of the reconciliation (10 minutes each) for the provider events of 1,000,000 card renewals${floor('floorReconcileRunsForMillion')}`, 'reconcileRunsForMillion'),
    ...row(
      `transactions lost on the invoice counter per renewal, 24 processes, best numbering configuration${floor('floorLostTransactionsPerRenewal')}`,
      'lostTransactionsPerRenewal',
      'lostTransactionsPerRenewal',
      3,
    ),
    ...row(
      `AWS cost of 1,000,000 renewals, USD (AWS's unit rules; the sample stage's numbering, lost races of 24 containers included)`,
      'costPerMillionRenewalsUsd',
      'costPerMillionRenewalsUsdByAwsRules',
      2,
    ),
    ...row(`the same with the seller numbering by process`, 'costPerMillionRenewalsUsdNumberedByProcess', 'costPerMillionRenewalsUsdNumberedByProcess', 2),
    ...row(`largest function bundle without PDFs, KiB (${String(figures.bundlesWithinBudget ?? '–')} within)`, 'largestBundleKiB'),
    ...row('largest PDF function bundle, KiB', 'largestPdfBundleKiB'),
    ...row('Stripe code only in functions given a Stripe secret', 'stripeOnlyWhereCalled'),
  ];
}

interface Bundles {
  functions: { function: string; kib: number; budgetKiB: number; withinBudget: boolean; callsStripe: boolean; carriesStripe: boolean; rendersPdfs: boolean; importMs: number }[];
  repeats: number;
}

function bundleTable(b: Bundles): string {
  return table(
    ['function', 'index.mjs KiB', 'target KiB', '', 'Stripe secret', 'Stripe code', 'import ms (median)'],
    b.functions.map((f) => [
      f.function,
      n(f.kib),
      n(f.budgetKiB),
      f.withinBudget ? 'met' : '**not met**',
      f.callsStripe ? 'yes' : '',
      f.carriesStripe ? 'yes' : '',
      n(f.importMs, 1),
    ]),
  );
}

function cliRows(o: Output): (string | number)[][] {
  const row = (label: string, key: 'cliReadMedianMs' | 'cliHelpMedianMs' | 'npmStartMs') => {
    const t = o.targets[key];
    const v = o[key];
    return [label, v === null || v === undefined ? '–' : n(v), t?.target ?? '', t ? yes(t.met) : 'not run'];
  };
  return [
    row('CLI read command on a running store, median ms', 'cliReadMedianMs'),
    row('`billing --help`, median ms', 'cliHelpMedianMs'),
    row('`npm start` (the demo) on an empty store, ms', 'npmStartMs'),
  ];
}

export function renderMarkdown(o: Output): string {
  const out: string[] = [];
  out.push(`# Benchmark run ${o.date.slice(0, 10)}`);
  out.push('');
  out.push(
    `\`${o.command}\` — ${o.seconds} s. Machine: ${o.machine.cores} cores (${o.machine.cpu}), ${o.machine.memoryGb} GB, Node ${o.machine.node}, ${o.machine.java}, DynamoDB Local ${o.machine.dynamoDbLocal}.`,
  );
  out.push('');
  out.push(
    table(
      ['figure', 'measured', 'target', ''],
      [
        ['items read per due product (worse size)', o.itemsReadPerDueProduct ?? '–', o.targets.itemsReadPerDueProduct!.target, yes(o.targets.itemsReadPerDueProduct!.met)],
        [
          o.targets.renewalsPerSecondRatio!.target.includes('every concurrency')
            ? 'renewals/s, engine ÷ independent floor (the least of concurrencies 1, 4, 16)'
            : 'renewals/s, engine ÷ floor (best concurrency of each)',
          o.renewalsPerSecondRatio ?? '–',
          o.targets.renewalsPerSecondRatio!.target,
          yes(o.targets.renewalsPerSecondRatio!.met),
        ],
        ['PDFs/s, engine ÷ floor', o.pdfRatio ?? '–', o.targets.pdfRatio!.target, yes(o.targets.pdfRatio!.met)],
        [
          'export rows/s (100,000 invoices)',
          o.exportRowsPerSecond === null ? '–' : n(o.exportRowsPerSecond),
          o.targets.exportRowsPerSecond!.target,
          yes(o.targets.exportRowsPerSecond!.met),
        ],
        ['export peak RSS, MB (largest of all counts)', o.exportPeakRssMb ?? '–', o.targets.exportPeakRssMb!.target, yes(o.targets.exportPeakRssMb!.met)],
        [
          `AWS cost of 1,000,000 renewals in a night, USD${o.targets.costPerMillionRenewalsUsd ? " (DynamoDB Local's reported units)" : ''}`,
          o.costPerMillionRenewalsUsd === null ? '–' : n(o.costPerMillionRenewalsUsd, 2),
          '',
          '',
        ],
        ...cliRows(o),
        ...issue15Rows(o),
      ],
    ),
  );

  const query = o.parts.query as Query | undefined;
  if (query) {
    out.push('', '## Nightly query cost', '');
    out.push(
      table(
        [
          'products (table items)',
          'due tonight',
          'date index: items read',
          'per due product',
          'RCU',
          'RCU per due product',
          'calls',
          'ms',
          'Scan: items read',
          'per due product',
          'RCU',
          'RCU per due product',
          'ms',
        ],
        query.sizes.map((s) => [
          `${n(s.products)} (${n(s.tableItems)})`,
          n(s.due),
          n(s.index.itemsRead),
          n(s.index.itemsPerDue, 2),
          n(s.index.capacityUnits, 1),
          n(s.index.capacityPerDue, 3),
          s.index.calls,
          s.index.ms,
          n(s.scan.itemsRead),
          n(s.scan.itemsPerDue, 1),
          n(s.scan.capacityUnits, 1),
          n(s.scan.capacityPerDue, 2),
          n(s.scan.ms),
        ]),
      ),
    );
  }

  const renewal = o.parts.renewal as Renewal | undefined;
  if (renewal) {
    out.push('', `## Renewals per second (${renewal.renewals} renewals, ${renewal.ranges} invoice number range${renewal.ranges > 1 ? 's' : ''})`, '');
    out.push(renewalTables(renewal));
    out.push(
      '',
      "The engine's own sequence of DynamoDB calls per renewal (recording run, one renewal at a time, no lost race); units from DynamoDB Local's ReturnConsumedCapacity, and by DynamoDB's billing rules from the items' sizes:",
      '',
    );
    out.push(
      table(
        [
          'payment',
          'renewals',
          'calls',
          "of which the e-mail's delivery",
          'transactions (items each)',
          'WCU (Local)',
          'WCU (AWS rules)',
          'RCU (Local)',
          'RCU (AWS rules)',
          'sequence',
        ],
        renewal.recording.kinds.map((k) => [
          k.kind,
          k.renewals,
          k.calls,
          k.mailCalls === undefined ? '–' : k.mailCalls,
          k.transactItems.join(' + '),
          n(k.writeUnits, 1),
          n(k.awsWriteUnits, 1),
          n(k.readUnits, 1),
          n(k.awsReadUnits, 1),
          k.sequence.map((s) => s.split(' ')[0]).join(' → '),
        ]),
      ),
    );
    const byItem = renewal.recording.kinds.filter((k) => k.awsWriteUnitsByItem);
    if (byItem.length > 0) {
      const items = [...new Set(byItem.flatMap((k) => Object.keys(k.awsWriteUnitsByItem!)))];
      out.push('', "Where the write units go (AWS's rules, per renewal, by item: its key's first parts; an item's index entries apart):", '');
      out.push(
        table(
          ['item', ...byItem.map((k) => k.kind)],
          items.map((item) => [item, ...byItem.map((k) => n(k.awsWriteUnitsByItem![item] ?? 0, 1))]),
        ),
      );
    }
    const p = renewal.recording.perRenewal;
    out.push(
      '',
      `Average per renewal: ${n(p.calls, 2)} calls, ${n(p.writeUnits, 1)} WCU / ${n(p.readUnits, 1)} RCU (Local), ${n(p.awsWriteUnits, 1)} WCU / ${n(p.awsReadUnits, 1)} RCU (AWS rules); ${renewal.recording.night.calls} calls per night besides (plan, housekeeping, summary).`,
    );
  }
  const ranges = o.parts.ranges as Renewal | undefined;
  if (ranges) {
    out.push(
      '',
      `### The same with ${ranges.ranges} invoice number ranges (seller.invoiceSeriesShards = ${ranges.ranges}${(ranges as { floorRecording?: unknown }).floorRecording ? '' : '; floor re-recorded'})`,
      '',
    );
    out.push(renewalTables(ranges));
  }

  const pdf = o.parts.pdf as Pdf | undefined;
  if (pdf) {
    out.push('', '## PDFs per second', '');
    out.push(
      table(
        ['document', 'engine PDFs/s (median)', 'floor PDFs/s (median)', 'engine ÷ floor', 'engine blocks', 'floor blocks'],
        [
          [
            `${pdf.document.number}, open, QR-bill${pdf.document.floorBytes === undefined ? '' : ', Helvetica'}: ${n(pdf.document.bytes)} bytes${pdf.document.floorBytes === undefined ? '' : ` (floor ${n(pdf.document.floorBytes)})`}`,
            n(pdf.enginePerSecond, 1),
            n(pdf.floorPerSecond, 1),
            n(pdf.pdfRatio, 2),
            pdf.engineRates.join(', '),
            pdf.floorRates.join(', '),
          ],
          ...(pdf.embeddedPerSecond === undefined || pdf.embeddedRatio === undefined
            ? []
            : [
                [
                  `the same for Łódź Ștefan, DejaVu Sans embedded: ${n(pdf.document.embeddedBytes ?? 0)} bytes`,
                  n(pdf.embeddedPerSecond, 1),
                  n(pdf.floorPerSecond, 1),
                  n(pdf.embeddedRatio, 2),
                  '',
                  '',
                ],
              ]),
        ],
      ),
    );
    if (pdf.document.floorBytes !== undefined)
      out.push(
        '',
        "The floor is the same page drawn by hand with bare pdfkit + swissqrbill in Helvetica (`bench/floors/pdf-floor.ts`), from the document's fields; " +
          'it cannot print `Łódź Ștefan`, so the embedded row is the price of printing it, not a target.',
      );
  }

  const numbering = o.parts.numbering as
    { renewals: number; runs: { ranges: number; by?: string; processes: number; cancelledTransactions: number; lostPerRenewal: number; seconds: number }[] } | undefined;
  if (numbering) {
    out.push('', `## Invoice numbers under many processes (${n(numbering.renewals)} balance-paid renewals)`, '');
    out.push(
      table(
        ['number ranges', 'drawn by', 'processes at once', 'transactions lost', 'per renewal', 'seconds'],
        numbering.runs.map((r) => [r.ranges, r.by ?? 'organisation', r.processes, n(r.cancelledTransactions), n(r.lostPerRenewal, 3), n(r.seconds, 1)]),
      ),
    );
    out.push('', "The floor's numbering (each worker its own range) loses none.");
  }

  const bundles = o.parts.bundles as Bundles | undefined;
  if (bundles) {
    out.push('', '## Function bundles', '');
    out.push(bundleTable(bundles));
    out.push('', `Import time: \`await import()\` of the bundle in a fresh Node process, outside the repository, median of ${bundles.repeats}.`);
  }

  const exports = o.parts.export as Export[] | undefined;
  if (exports) {
    out.push('', '## Finance export to CSV', '');
    out.push(
      table(
        ['invoices', 'seconds', 'rows/s', 'runs (rows/s; median kept)', 'peak RSS MB', 'CSV MB'],
        exports.map((e) => [n(e.rows), n(e.seconds, 1), n(e.rowsPerSecond), e.tries ? e.tries.map((t) => n(t)).join(', ') : '1 run', n(e.peakRssMb, 1), n(e.csvMb, 1)]),
      ),
    );
  }

  const cli = o.parts.cli as Cli | undefined;
  if (cli) {
    out.push('', '## CLI answer times (each command a new process, as typed)', '');
    out.push(
      table(
        ['command', 'median ms', `runs (ms, ${cli.repeats} each)`],
        [
          ['`billing --help`', n(cli.help.medianMs), cli.help.runsMs.map((x) => n(x)).join(', ')],
          ['`billing products list --org … --due all`, the store running', n(cli.read.medianMs), cli.read.runsMs.map((x) => n(x)).join(', ')],
          ['the same after `billing stop` (the store starts again)', n(cli.readAfterStopMs), '1 run'],
          ['`billing demo` (= `npm start`) on an empty data folder', n(cli.demoMs), cli.demoRunsMs ? cli.demoRunsMs.map((x) => n(x)).join(', ') : '1 run'],
          ['first call after an install (builds the compiled CLI)', n(cli.firstCallMs), '1 run'],
        ],
      ),
    );
  }

  const reconcile = o.parts.reconcile as Reconcile | undefined;
  if (reconcile) {
    const m = reconcile.million;
    out.push('', `## Reconciling a night's provider events (${n(reconcile.renewalEvents)} renewal charges, ${n(reconcile.checkoutEvents)} checkout payments)`, '');
    out.push(
      table(
        ['events listed', 'pages of 100', 'hours listed', 'lost webhooks found and queued', 'DynamoDB calls', 'engine s (provider excluded)', 'engine ms per page'],
        [
          [
            n(reconcile.result.listed),
            n(reconcile.pages),
            reconcile.result.windows,
            `${reconcile.result.missing} of ${reconcile.lostWebhooks}, ${reconcile.result.queued}`,
            Object.entries(reconcile.dynamoDbCallsByCommand)
              .map(([c, k]) => `${k} ${c.replace('Command', '')}`)
              .join(', '),
            n(reconcile.seconds, 2),
            n(reconcile.enginePerPageMs, 2),
          ],
        ],
      ),
    );
    out.push(
      '',
      `A renewal's own payment events are listed but never looked up (the renewal settled them): the table is read for the checkouts' events only, 100 keys a read. For 1,000,000 card renewals: ${n(m.pages)} pages, ${n(m.providerSecondsAtPace)} s at the provider's pace (${n(reconcile.million.chargesPerSecond)} charges/s for the charge queue, 5 requests/s for the reconciliation) plus the engine's share, ${n(m.seconds)} s: ${m.runsNeeded} runs of ${m.runSeconds / 60} minutes, of the 24 hourly runs a day. Charging them at the charge queue's pace takes ${n(m.chargeHours, 1)} hours.`,
    );
  }

  const listing = o.parts.listing as Listing | undefined;
  if (listing) {
    out.push('', `## Listing a large organisation's products (${n(listing.products)} products, pages of ${listing.limit})`, '');
    out.push(
      table(
        ['read', 'queries', 'capacity units', 'ms'],
        [
          [
            'one page (`GET .../products?limit=' + listing.limit + '`, `billing products list`), median',
            listing.page.queriesPerPage,
            n(listing.page.capacityUnitsPerPage, 1),
            n(listing.page.medianMs, 1),
          ],
          [`every page walked by cursor (${n(listing.allPages.pages)} requests)`, listing.allPages.queries, n(listing.allPages.capacityUnits, 1), n(listing.allPages.ms)],
          ['all at once, as before pagination', listing.unpaginated.queries, n(listing.unpaginated.capacityUnits, 1), n(listing.unpaginated.ms)],
        ],
      ),
    );
  }

  if (o.cost) {
    const c = o.cost;
    out.push('', `## Cost of 1,000,000 renewals in one night (${c.prices.region}, ${c.prices.asOf})`, '');
    out.push(
      table(['item', 'quantity', 'USD'], [...c.measuredUnits.lines.map((l) => [l.item, l.quantity, n(l.usd, 2)]), ['**total**', '', `**${n(c.measuredUnits.totalUsd, 2)}**`]]),
    );
    out.push('');
    out.push(
      `With the units computed by DynamoDB's billing rules instead of DynamoDB Local's report: **USD ${n(c.awsRuleUnits.totalUsd, 2)}**. Stripe Billing at 0.7 % of a CHF ${c.prices.renewalChf} renewal: CHF ${n(c.stripeBilling.perRenewal, 2)} per renewal, **CHF ${n(c.stripeBilling.total)}** for 1,000,000.`,
    );
  }
  return `${out.join('\n')}\n`;
}
