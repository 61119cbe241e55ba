import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { runBilling } from '../support/cli.ts';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', 'functions', 'cli', 'billing.mjs');
const root = mkdtempSync(join(tmpdir(), 'billing-bin-'));
const home = join(root, '.billing');
// From another directory than the checkout, as `npx billing` may be run.
const billing = (...args: string[]) => run(process.execPath, [bin, '--home', home, ...args], { cwd: root, timeout: 280_000 });

afterAll(async () => {
  await billing('stop').catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

// What a new user runs: the `billing` executable in its own processes, one per command.
describe('the billing executable', { timeout: 300_000 }, () => {
  it('answers --help without a store', async () => {
    const { stdout } = await billing('--help');
    expect(stdout).toMatch(/Usage: billing/);
    expect(stdout).toMatch(/\bstop\b/);
  });

  it('keeps what one command wrote for the next, then stops its store', async () => {
    const created = await billing('--today', '2026-12-01', 'org', 'create', '--id', 'acme', '--name', 'Acme Sàrl', '--currency', 'CHF', '--country', 'CH');
    expect(created.stdout).toMatch(/created organisation acme \(CHF\)/);
    const listed = JSON.parse((await billing('--json', 'org', 'list')).stdout) as { id: string }[];
    expect(listed.map((o) => o.id)).toEqual(['acme']);
    expect((await billing('stop')).stdout).toMatch(/stopped the store/);
    expect((await billing('stop')).stdout).toMatch(/no store was running/);
    // The data stays in the folder: a new store reads it.
    expect((JSON.parse((await billing('--json', 'org', 'list')).stdout) as { id: string }[]).map((o) => o.id)).toEqual(['acme']);
  });

  it('draws PDFs on worker threads, byte for byte the PDF drawn on the calling thread', async () => {
    await billing('--today', '2026-12-01', 'product', 'add', '--org', 'acme', '--id', 'acme-ch', '--type', 'domain-ch', '--name', 'acme.ch', '--expiry', '2026-12-31');
    const paid = JSON.parse((await billing('--today', '2026-12-01', '--json', 'pay', '--org', 'acme', '--product', 'acme-ch', '--method', 'iban', '--no-balance')).stdout) as {
      proformaNumber: string;
    };
    const drawn = JSON.parse((await billing('--json', 'invoice', 'pdf', paid.proformaNumber, '--out', join(root, 'worker'))).stdout) as { path: string };
    // The same command in this process runs from the TypeScript sources, where PDFs are drawn on the calling thread.
    const inline = await runBilling(home, ['--json', 'invoice', 'pdf', paid.proformaNumber, '--out', join(root, 'inline')]);
    expect(inline.code).toBe(0);
    const worker = readFileSync(drawn.path);
    expect(worker.subarray(0, 5).toString()).toBe('%PDF-');
    expect(worker.equals(readFileSync((JSON.parse(inline.out) as { path: string }).path))).toBe(true);
  });
});
