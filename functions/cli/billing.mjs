#!/usr/bin/env node
// Entry of `npx billing`. The TypeScript CLI is compiled by esbuild into node_modules/.cache once, and again
// whenever a source file is newer than the build, so a command loads in a fraction of a second instead of
// transpiling every module at each call. Builds go to a private folder and are renamed into place, so
// commands started at once never read a half-written build.
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cache = writable(join(root, 'node_modules', '.cache', 'billing-cli')) ?? join(tmpdir(), `billing-cli-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`);

/** The folder if it can be written (an install may be read-only: then a folder of the system's temp space). */
function writable(dir) {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return dir;
  } catch {
    return undefined;
  }
}
const entries = { main: 'functions/cli/main.ts', 'local-store-keeper': 'shared/adapters/local/local-store-keeper.ts' };

function newestSource(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestSource(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

const built = (name) => join(cache, `${name}.mjs`);
const builtAt = Math.min(...Object.keys(entries).map((n) => (existsSync(built(n)) ? statSync(built(n)).mtimeMs : 0)));
if (builtAt < Math.max(newestSource(join(root, 'functions')), newestSource(join(root, 'shared')))) {
  const { build } = await import('esbuild');
  mkdirSync(cache, { recursive: true });
  const tmp = mkdtempSync(join(dirname(cache), 'billing-cli-'));
  try {
    await build({
      entryPoints: Object.fromEntries(Object.entries(entries).map(([n, f]) => [n, join(root, f)])),
      outdir: tmp,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'error',
    });
    for (const n of Object.keys(entries)) renameSync(join(tmp, `${n}.mjs`), built(n));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
const { main } = await import(pathToFileURL(built('main')).href);
process.exitCode = await main(process.argv.slice(2));
