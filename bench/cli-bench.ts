/**
 * How fast the CLI answers, as a new user meets it: `--help`, a read command
 * on a data folder whose local store runs, and the main job (`npm start`, the
 * demo) on an empty data folder. Each command is a new Node process, as when
 * typed; the compiled CLI is built once before the first measure (as the
 * first command after `npm ci` does).
 *
 *   --repeats N        how many times `--help` and the read command run (median kept; default 9)
 *   --demo-repeats N   how many times the demo runs, each on a new empty data folder (median kept; default 3)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue, emit, median, round } from './lib/cli.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'functions', 'cli', 'billing.mjs');
const repeats = Number(argValue('--repeats') ?? 9);
const demoRepeats = Number(argValue('--demo-repeats') ?? 3);
let home = mkdtempSync(join(tmpdir(), 'billing-cli-bench-'));
const homes = [home];

/** Runs one CLI command in a process of its own and returns its wall time in ms; a failing command stops the bench. */
function timed(args: string[]): number {
  return run(args).ms;
}

function run(args: string[]): { ms: number; stdout: string } {
  const started = performance.now();
  const r = spawnSync(process.execPath, [cli, '--home', home, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`billing ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

function series(args: string[]): { medianMs: number; runsMs: number[] } {
  const runsMs = Array.from({ length: repeats }, () => round(timed(args), 0));
  return { medianMs: round(median(runsMs), 0), runsMs };
}

try {
  const buildMs = round(timed(['--help']), 0);
  const help = series(['--help']);
  // The main job on an empty data folder each time (its store started by the demo itself); the machine is
  // shared and noisy, so the median of a few runs is kept.
  const demoRunsMs: number[] = [];
  for (let i = 0; i < demoRepeats; i++) {
    if (i > 0) {
      timed(['stop']);
      home = mkdtempSync(join(tmpdir(), 'billing-cli-bench-'));
      homes.push(home);
    }
    demoRunsMs.push(round(timed(['demo']), 0));
  }
  const demoMs = round(median(demoRunsMs), 0);
  // The demo leaves the store running, as any command does: every read below meets a running store but the last.
  const orgs = JSON.parse(run(['--json', 'org', 'list']).stdout) as { id: string }[];
  const listing = ['products', 'list', '--org', orgs[0]!.id, '--due', 'all'];
  const read = series(listing);
  timed(['stop']);
  const firstRead = round(timed(listing), 0);
  timed(['stop']);
  emit({ repeats, firstCallMs: buildMs, help, demoMs, demoRunsMs, read, readAfterStopMs: firstRead });
} finally {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
}
