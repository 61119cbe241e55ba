import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

/**
 * A real Chromium for the portal's tests: Debian's (`apt-get install
 * chromium`, done by .ci/run), driven by playwright-core, which downloads no
 * browser of its own. axe-core runs in each page for its accessibility
 * check; every page checked leaves a screenshot in reports/screenshots/ for a
 * reviewer (not committed).
 */
const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((p): p is string => !!p);
export const SCREENSHOTS = join(process.cwd(), 'reports', 'screenshots');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export function chromiumPath(): string {
  const found = CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new Error(`No Chromium found (tried ${CANDIDATES.join(', ')}): install Debian's chromium (apt-get install chromium), as .ci/run does, or set CHROMIUM_PATH`);
  return found;
}

/** One browser per test file; `context(token)` is a fresh profile, signed in when given a token. */
export function useBrowser(): { context(token?: string): Promise<BrowserContext> } {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  // A failed test leaves what its pages showed, for whoever reads the CI log.
  afterEach(async (ctx) => {
    const failed = ctx.task.result?.state === 'fail';
    let n = 0;
    for (const c of contexts.splice(0)) {
      for (const page of c.pages()) {
        if (failed)
          await page.screenshot({ path: join(SCREENSHOTS, `failed-${ctx.task.name.slice(0, 60).replace(/[^a-z0-9]+/gi, '-')}-${++n}.png`), fullPage: true }).catch(() => undefined);
      }
      await c.close().catch(() => undefined);
    }
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    async context(token) {
      const c = await browser!.newContext({ locale: 'fr-CH', viewport: { width: 1200, height: 900 }, acceptDownloads: true });
      if (token)
        await c.addInitScript(
          (t: string) => (globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }).sessionStorage.setItem('billing.token', t),
          token,
        );
      contexts.push(c);
      return c;
    },
  };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * The page's serious and critical accessibility violations by axe-core (WCAG
 * 2.x A and AA rules). Run through the DevTools protocol, so the page's own
 * Content-Security-Policy (scripts of its origin only) stays as served.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** What each page checked answers to: no serious or critical violation, and a screenshot under its name. */
export async function checkPage(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const violations = await seriousViolations(page);
  expect(violations, `${name}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
}

/** Waits until the page shows its main heading (the app renders after its first calls). */
export async function heading(page: Page): Promise<string> {
  const h1 = page.locator('main h1').first();
  await h1.waitFor();
  return (await h1.textContent())?.trim() ?? '';
}
