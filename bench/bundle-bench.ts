/**
 * Function bundles: the size of each deployed index.mjs, whether it carries
 * Stripe's SDK, and the time to import it in a fresh Node process (what a
 * cold start pays before the first line of the handler runs).
 *
 *   npx tsx bench/bundle-bench.ts [--repeats 5]
 *
 * The app is synthesized as `cdk synth` does, with the real esbuild bundles
 * (test/infra/synth-billing-app.ts). Each bundle is imported from the cloud
 * assembly's folder, outside the repository (no node_modules to fall back
 * on), `--repeats` times, each in a new process; the figure is the median of
 * the time `await import()` takes inside the process (Node's own start-up,
 * the same for every function, is left out). Functions that call Stripe are
 * those whose environment names a Stripe secret. Prints one JSON object.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { logicalIdOf, synthBillingApp } from '../test/infra/synth-billing-app.ts';
import { argValue, emit, median, round } from './lib/cli.ts';

const repeats = Number(argValue('--repeats') ?? '5');
/** The targets of issue 15. */
export const BUNDLE_TARGETS = { plainKiB: 600, pdfKiB: 1536 } as const;

const started = performance.now();
const app = synthBillingApp('dev', { bundle: true });
const synthSeconds = (performance.now() - started) / 1000;

type Resource = { Properties: { Environment?: { Variables?: Record<string, unknown> } }; Metadata: Record<string, string> };
const resources = app.statelessTemplate.toJSON().Resources as Record<string, Resource>;

function importMs(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-central-2', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', TZ: 'UTC' },
  });
  if (run.status !== 0) throw new Error(`importing ${file} failed:\n${run.stderr}`);
  return Number(run.stdout);
}

try {
  const rows = Object.entries(app.stateless.functions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, fn]) => {
      const resource = resources[logicalIdOf(app.stateless, fn.function)]!;
      const dir = join(app.assembly.directory, resource.Metadata['aws:asset:path']!);
      const file = join(dir, 'index.mjs');
      const sources = (JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] }).sources;
      const env = resource.Properties.Environment?.Variables ?? {};
      const callsStripe = 'STRIPE_SECRET_ID' in env || 'STRIPE_WEBHOOK_SECRET_ID' in env;
      const carriesStripe = sources.some((s) => /node_modules\/stripe\//.test(s));
      const rendersPdfs = sources.some((s) => /node_modules\/pdfkit\//.test(s));
      const kib = statSync(file).size / 1024;
      const times = Array.from({ length: repeats }, () => importMs(file));
      const budget = rendersPdfs ? BUNDLE_TARGETS.pdfKiB : BUNDLE_TARGETS.plainKiB;
      return {
        function: id,
        kib: round(kib, 0),
        budgetKiB: budget,
        withinBudget: kib <= budget,
        callsStripe,
        carriesStripe,
        stripeAsNeeded: carriesStripe === callsStripe,
        rendersPdfs,
        importMs: round(median(times), 1),
      };
    });
  const plain = rows.filter((r) => !r.rendersPdfs);
  process.stderr.write(
    rows
      .map(
        (r) =>
          `${r.function.padEnd(18)} ${String(r.kib).padStart(5)} KiB ${r.withinBudget ? 'ok  ' : 'OVER'} import ${r.importMs} ms${r.carriesStripe ? ', stripe' : ''}${r.rendersPdfs ? ', pdf' : ''}`,
      )
      .join('\n') + '\n',
  );
  emit({
    synthSeconds: round(synthSeconds, 1),
    repeats,
    functions: rows,
    summary: {
      functions: rows.length,
      plainWithinBudget: plain.filter((r) => r.withinBudget).length,
      plain: plain.length,
      plainWithoutStripeWithinBudget: plain.filter((r) => !r.callsStripe && r.withinBudget).length,
      plainWithoutStripe: plain.filter((r) => !r.callsStripe).length,
      pdfWithinBudget: rows.filter((r) => r.rendersPdfs && r.withinBudget).length,
      pdf: rows.filter((r) => r.rendersPdfs).length,
      stripeOnlyWhereCalled: rows.every((r) => r.stripeAsNeeded),
      largestPlainKiB: Math.max(...plain.map((r) => r.kib)),
      largestPdfKiB: Math.max(...rows.filter((r) => r.rendersPdfs).map((r) => r.kib)),
      slowestImportMs: Math.max(...rows.map((r) => r.importMs)),
    },
  });
} finally {
  app.cleanup();
}
