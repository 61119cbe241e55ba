/**
 * Invoice numbers under many processes: how many transactions a night loses
 * on the invoice counter when 1, 4 or 24 processes (containers) renew on one
 * table at once, with one number range and with the seller's ranges.
 *
 *   npx tsx bench/numbering-bench.ts [--renewals 480] [--processes 1,4,24] [--ranges 1,8] [--by-process 32]
 *
 * Seeds balance-paid renewals (the balance renewal is one transaction, which
 * takes the next number: nothing but the counter can make it lose), copies
 * the seeded table for each run, then starts the processes
 * (bench/numbering-worker.ts), waits until every one has built its runtime,
 * and lets them go at once. Each renews its share with 10 in flight and
 * counts its TransactWriteItems calls that DynamoDB cancelled (a lost race
 * is retried by the engine; each costs a transaction's write units and a
 * retry's reads). `--by-process N` adds runs with N ranges numbered by
 * process (`numbering.by: process`: each process leases a range of its own,
 * shared/use-cases/numbering.ts). The floor is
 * bench/floors/renewal-floor.ts's numbering: each worker owns its range, so
 * it loses none. Prints one JSON object.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openLocalRuntime } from '../functions/local-runtime.ts';
import { createTableIfMissing } from '../shared/adapters/dynamodb/table-schema.ts';
import { startDynamoDbLocal } from '../shared/adapters/local/dynamodb-local.ts';
import { SandboxPaymentGateway } from '../shared/adapters/sandbox/sandbox-payment-gateway.ts';
import { addDays } from '../shared/domain/calendar.ts';
import { fixedClock } from '../shared/ports/clock.ts';
import { createOrganisation } from '../shared/use-cases/manage-organisation.ts';
import { addProduct } from '../shared/use-cases/manage-products.ts';
import { topUpBalance } from '../shared/use-cases/top-up-balance.ts';
import { argValue, emit, round } from './lib/cli.ts';
import { batchPut, localClient, scanAll } from './lib/dynamo.ts';

export const NUMBERING_NIGHT = '2026-12-17';
const here = dirname(fileURLToPath(import.meta.url));
const renewals = Number(argValue('--renewals') ?? '480');
const processCounts = (argValue('--processes') ?? '1,4,24').split(',').map(Number);
const rangeCounts = (argValue('--ranges') ?? '1,8').split(',').map(Number);
const byProcess = argValue('--by-process') ? Number(argValue('--by-process')) : undefined;
const TYPES = ['domain-ch', 'web-hosting', 'mail-service', 'cloud-storage'];

const db = await startDynamoDbLocal();
const admin = localClient(db.endpoint);
const work = mkdtempSync(join(tmpdir(), 'bench-numbering-'));

interface WorkerResult {
  renewed: number;
  transactions: number;
  cancelled: number;
  seconds: number;
}

async function seed(): Promise<{ items: Awaited<ReturnType<typeof scanAll>>; refs: { orgId: string; productId: string }[] }> {
  const tableName = 'numbering-seed';
  const rt = await openLocalRuntime({ endpoint: db.endpoint, tableName, gateway: new SandboxPaymentGateway(), clock: fixedClock(addDays(NUMBERING_NIGHT, -1)), outDir: work });
  const refs: { orgId: string; productId: string }[] = [];
  for (let i = 0; i < renewals; i++) {
    const orgId = `org-${String(i).padStart(5, '0')}`;
    await createOrganisation(rt.deps, {
      id: orgId,
      name: `Organisation ${i}`,
      currency: 'CHF',
      country: 'CH',
      owner: { userId: `u-${orgId}`, email: `owner@${orgId}.example`, name: 'Owner' },
    });
    await topUpBalance(rt.deps, orgId, { amount: '2000.00', reference: `seed-${orgId}` });
    const productId = `prd-${String(i).padStart(5, '0')}`;
    await addProduct(rt.deps, orgId, { id: productId, typeId: TYPES[i % TYPES.length]!, name: `product ${i}`, expiry: addDays(NUMBERING_NIGHT, 14), autoRenew: true });
    refs.push({ orgId, productId });
  }
  await rt.close();
  return { items: await scanAll(admin, tableName), refs };
}

function runWorker(args: string[]): { ready: Promise<void>; done: Promise<WorkerResult> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'numbering-worker.ts'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  let out = '';
  let signalReady: () => void = () => {};
  const ready = new Promise<void>((r) => (signalReady = r));
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    if (out.includes('READY\n')) signalReady();
  });
  const done = new Promise<WorkerResult>((resolve, reject) => {
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`numbering worker exited with ${code}: ${out}`));
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) return reject(new Error(`numbering worker printed no result: ${out}`));
      resolve(JSON.parse(line.slice('RESULT '.length)) as WorkerResult);
    });
  });
  return { ready, done };
}

try {
  const { items, refs } = await seed();
  const runs = [];
  let table = 0;
  const configs = [...rangeCounts.map((ranges) => ({ ranges, by: 'organisation' as const })), ...(byProcess ? [{ ranges: byProcess, by: 'process' as const }] : [])];
  for (const { ranges, by } of configs) {
    for (const processes of processCounts) {
      const tableName = `numbering-${++table}`;
      await createTableIfMissing(admin, tableName);
      await batchPut(admin, tableName, items, 8);
      const go = join(work, `go-${table}`);
      const refsFile = join(work, `refs-${table}.json`);
      writeFileSync(refsFile, JSON.stringify(refs));
      const workers = Array.from({ length: processes }, (_, w) =>
        runWorker([
          '--endpoint',
          db.endpoint,
          '--table',
          tableName,
          '--refs',
          refsFile,
          '--worker',
          String(w),
          '--of',
          String(processes),
          '--ranges',
          String(ranges),
          '--by',
          by,
          '--go',
          go,
          '--out',
          work,
        ]),
      );
      await Promise.all(workers.map((w) => w.ready));
      const started = performance.now();
      writeFileSync(go, '');
      const results = await Promise.all(workers.map((w) => w.done));
      const seconds = (performance.now() - started) / 1000;
      const renewed = results.reduce((s, r) => s + r.renewed, 0);
      const cancelled = results.reduce((s, r) => s + r.cancelled, 0);
      if (renewed !== renewals) throw new Error(`${processes} processes, ${ranges} ranges: ${renewed} of ${renewals} renewed`);
      const run = { ranges, by, processes, renewed, cancelledTransactions: cancelled, lostPerRenewal: round(cancelled / renewed, 3), seconds: round(seconds, 1) };
      process.stderr.write(
        `numbering: ${ranges} range(s) by ${by}, ${processes} process(es): ${cancelled} transactions lost for ${renewed} renewals (${run.lostPerRenewal} per renewal) in ${run.seconds} s\n`,
      );
      runs.push(run);
      if (!existsSync(go)) throw new Error('the start signal vanished');
    }
  }
  const at24 = runs.filter((r) => r.processes === Math.max(...processCounts));
  emit({
    night: NUMBERING_NIGHT,
    renewals,
    runs,
    floorLostPerRenewal: 0,
    lostPerRenewalAtMostProcesses: Math.min(...at24.map((r) => r.lostPerRenewal)),
    mostProcesses: Math.max(...processCounts),
  });
} finally {
  admin.destroy();
  await db.stop();
}
