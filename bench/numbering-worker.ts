/**
 * One process of bench/numbering-bench.ts: renews its share of the products
 * (every `--of`-th from `--worker`) through renewProduct on the shared table,
 * 10 at a time, once the start file exists, and counts the
 * TransactWriteItems calls DynamoDB cancelled. Prints READY when its runtime
 * is built, then RESULT <json>.
 */
import { existsSync, readFileSync } from 'node:fs';
import { openLocalRuntime } from '../functions/local-runtime.ts';
import { SandboxPaymentGateway } from '../shared/adapters/sandbox/sandbox-payment-gateway.ts';
import { fixedClock } from '../shared/ports/clock.ts';
import { renewProduct } from '../shared/use-cases/renew-product.ts';
import { argValue } from './lib/cli.ts';
import { CallCounter } from './lib/dynamo.ts';

const NIGHT = '2026-12-17';
const arg = (name: string) => {
  const v = argValue(name);
  if (v === undefined) throw new Error(`numbering worker: ${name} is missing`);
  return v;
};
const worker = Number(arg('--worker'));
const of = Number(arg('--of'));
const ranges = Number(arg('--ranges'));
const by = (argValue('--by') ?? 'organisation') as 'organisation' | 'process';
const refs = (JSON.parse(readFileSync(arg('--refs'), 'utf8')) as { orgId: string; productId: string }[]).filter((_, i) => i % of === worker);

const counter = new CallCounter();
const rt = await openLocalRuntime({ endpoint: arg('--endpoint'), tableName: arg('--table'), gateway: new SandboxPaymentGateway(), clock: fixedClock(NIGHT), outDir: arg('--out') });
if (ranges > 1) rt.deps.seller = { ...rt.deps.seller, invoiceSeriesShards: ranges, ...(by === 'process' ? { numberRangesBy: 'process' as const } : {}) };
const deps = { ...rt.deps, clock: fixedClock(NIGHT) };
process.stdout.write('READY\n');
while (!existsSync(arg('--go'))) await new Promise((r) => setTimeout(r, 20));

counter.start({ record: true });
const started = performance.now();
let next = 0;
let renewed = 0;
await Promise.all(
  Array.from({ length: 10 }, async () => {
    for (;;) {
      const ref = refs[next++];
      if (!ref) return;
      const res = await renewProduct(deps, { ...ref, night: NIGHT });
      if (res.status !== 'done' || !res.outcome.paid) throw new Error(`${ref.productId}: ${JSON.stringify(res)}`);
      renewed++;
    }
  }),
);
const calls = counter.stop();
await rt.close();
const transactions = calls.filter((c) => c.command === 'TransactWriteCommand');
process.stdout.write(
  `RESULT ${JSON.stringify({ renewed, transactions: transactions.length, cancelled: transactions.filter((c) => !c.ok).length, seconds: (performance.now() - started) / 1000 })}\n`,
);
