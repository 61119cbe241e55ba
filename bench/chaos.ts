/**
 * Chaos run of the billing engine.
 *
 *   npm run chaos -- [--small] [--seed N] [--nights N] [--products N] [--orgs N] [--concurrency N]
 *
 * --small starts from the small run `npm test` makes (200 products, 28 nights,
 * higher fault rates); the other options override either preset. --plant BUG
 * plants one known bug (see chaos/plants.ts) to show the checks catch it.
 * --no-holds runs without identity checks (a tenth of the organisations
 * otherwise have their paid orders held until finance releases them);
 * --no-night-clicks without checkouts started while the night runs.
 * --memory runs on the in-memory store instead of DynamoDB Local (what the
 * planted-bug runs of `npm test` use: they test the checks, not the store);
 * there the ids and the waits after a lost race come from the seed, so a
 * seed replays its interleaving, unless --timer-pauses asks for the random
 * real-time waits of the store adapters (other interleavings each run).
 * CHAOS_DUMP=org-a,org-b prints those organisations' books at the end, to
 * read a violation against.
 *
 * Seeds a portfolio on an in-memory DynamoDB Local, simulates the nights and
 * days while injecting faults (queue messages delivered twice, workers dying
 * before and after each commit, provider time-outs after the charge went
 * through and forgotten idempotency keys, two workers on one product, nights
 * run twice, webhooks duplicated, delayed, reordered and lost), then reads
 * the books back and checks the invariants, and the reference model's
 * statements (chaos/reference-model.ts) against the engine's books, the
 * provider's charge list and the bank's files. Prints the invariants with their
 * checks and violations, the faults injected by kind, and `violations: N`
 * last; exits with 1 when N > 0.
 */
import { formatReport } from './chaos/report.ts';
import { isPlantedBug, PLANTED_BUGS } from './chaos/plants.ts';
import { DEFAULT_OPTIONS, runChaos, SMALL_OPTIONS, type ChaosOptions } from './chaos/run.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

function parseArgs(argv: string[]): ChaosOptions {
  const opts: ChaosOptions = { ...(argv.includes('--small') ? SMALL_OPTIONS : DEFAULT_OPTIONS) };
  const numeric = { '--seed': 'seed', '--nights': 'nights', '--products': 'products', '--orgs': 'orgs', '--concurrency': 'concurrency' } as const;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--small') continue;
    if (flag === '--no-night-clicks') {
      opts.customers = { ...opts.customers, duringNight: 0 };
      continue;
    }
    if (flag === '--memory') {
      opts.memory = true;
      continue;
    }
    if (flag === '--timer-pauses') {
      opts.timerPauses = true;
      continue;
    }
    if (flag === '--no-holds') {
      opts.identityChecks = 0;
      continue;
    }
    if (flag === '--plant') {
      const name = argv[++i] ?? '';
      if (!isPlantedBug(name)) usage(`--plant needs one of: ${Object.keys(PLANTED_BUGS).join(', ')}`);
      opts.plant = name;
      continue;
    }
    if (flag === '--start') {
      opts.start = argv[++i] ?? '';
      if (!/^\d{4}-\d{2}-\d{2}$/.test(opts.start)) usage(`--start needs a date as YYYY-MM-DD`);
      continue;
    }
    if (!(flag in numeric)) usage(`unknown option ${flag}`);
    const value = Number(argv[++i]);
    if (!Number.isSafeInteger(value) || value < (flag === '--seed' ? 0 : 1)) usage(`${flag} needs a whole number, got ${argv[i]}`);
    opts[numeric[flag as keyof typeof numeric]] = value;
  }
  return opts;
}

function usage(problem: string): never {
  console.error(
    `${problem}\nusage: npm run chaos -- [--small] [--seed N] [--nights N] [--products N] [--orgs N] [--concurrency N] [--start YYYY-MM-DD] [--no-holds] [--no-night-clicks] [--memory] [--timer-pauses] [--plant BUG]`,
  );
  process.exit(2);
}

const options = parseArgs(process.argv.slice(2));
const report = await runChaos({ ...options, log: (line) => console.error(line) });
for (const line of formatReport(report)) console.log(line);
process.exitCode = report.violations > 0 ? 1 : 0;
