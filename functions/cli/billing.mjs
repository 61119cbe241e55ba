#!/usr/bin/env node
// Entry of `npx billing`. The TypeScript CLI is compiled by esbuild into node_modules/.cache once, and again
// whenever a source file is newer than the build, so a command loads in a fraction of a second instead of
// transpiling every module at each call. Builds go to a private folder and are renamed into place, so
// commands started at once never read a half-written build.
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// The build runs from a cache folder: it finds the sample configuration (config/sample.yaml) through this.
process.env.BILLING_PACKAGE_ROOT ??= root;
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
const entries = { main: 'functions/cli/main.ts', 'local-store-keeper': 'shared/adapters/local/local-store-keeper.ts', 'pdf-worker': 'shared/adapters/documents/pdf-worker.ts' };

function newestSource(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestSource(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

// Each build is a folder of its own (code split: a command loads only the chunks it uses, so `--help` never
// loads the AWS SDK or the local store); `current` names the newest and is replaced by a rename, so a command
// started during a build runs the previous one whole. Older builds are removed once no command can still be
// loading a chunk from them.
const pointer = join(cache, 'current');
const currentBuild = () => (existsSync(pointer) ? join(cache, readFileSync(pointer, 'utf8').trim()) : undefined);
const builtAt = existsSync(pointer) && existsSync(currentBuild()) ? statSync(pointer).mtimeMs : 0;
if (builtAt < Math.max(newestSource(join(root, 'functions')), newestSource(join(root, 'shared')))) {
  const { build } = await import('esbuild');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'build-'));
  // A failed build leaves no half-written folder behind; the error is esbuild's, shown as it is.
  await build({
    entryPoints: Object.fromEntries(Object.entries(entries).map(([n, f]) => [n, join(root, f)])),
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  }).catch((err) => {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  const next = `${pointer}.${process.pid}`;
  writeFileSync(next, basename(dir));
  renameSync(next, pointer);
  for (const e of readdirSync(cache)) {
    const p = join(cache, e);
    if (e.startsWith('build-') && p !== dir && Date.now() - statSync(p).mtimeMs > 3_600_000) rmSync(p, { recursive: true, force: true });
  }
}
const { main } = await import(pathToFileURL(join(currentBuild(), 'main.mjs')).href);
process.exitCode = await main(process.argv.slice(2));
