import { copyFileSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

/**
 * The portal's files: web/index.html, web/app.css and the one script, bundled
 * from web/src by esbuild (Preact and htm included; no other build chain).
 * `billing serve` serves them from memory; the CDK app writes them to the
 * bucket CloudFront serves.
 */
// The CLI runs from a bundle elsewhere; its launcher names the package root (as for config/sample.yaml).
export const WEB_DIR = join(process.env.BILLING_PACKAGE_ROOT ?? fileURLToPath(new URL('../../', import.meta.url)), 'web/');

export interface PortalAsset {
  type: string;
  body: Buffer;
}

/** What the pages read first: where the API is and how users sign in (web/src/api.ts PortalConfig). */
export type PortalConfig =
  { apiUrl: string; login: { kind: 'demo' } } | { apiUrl: string; login: { kind: 'oauth'; authorizeUrl: string; tokenUrl: string; clientId: string; scope: string } };

let bundled: Promise<Buffer> | undefined;

/** One script, Preact and htm included, for browsers of the last years. */
const SCRIPT_BUILD = {
  entryPoints: [`${WEB_DIR}src/main.ts`],
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  minify: true,
  legalComments: 'eof',
  logLevel: 'silent',
} as const satisfies esbuild.BuildOptions;

/** The pages' script, built once per process. */
export function portalScript(): Promise<Buffer> {
  bundled ??= (async () => {
    const out = await esbuild.build({ ...SCRIPT_BUILD, write: false });
    return Buffer.from(out.outputFiles[0]!.contents);
  })();
  return bundled;
}

/** Every file of the portal by its path, `/config.json` included. */
export async function portalAssets(config: PortalConfig): Promise<Map<string, PortalAsset>> {
  const [html, css, icon, js] = await Promise.all([readFile(`${WEB_DIR}index.html`), readFile(`${WEB_DIR}app.css`), readFile(`${WEB_DIR}favicon.svg`), portalScript()]);
  return new Map([
    ['/index.html', { type: 'text/html; charset=utf-8', body: html }],
    ['/assets/app.css', { type: 'text/css; charset=utf-8', body: css }],
    ['/assets/app.js', { type: 'text/javascript; charset=utf-8', body: js }],
    ['/assets/favicon.svg', { type: 'image/svg+xml', body: icon }],
    ['/config.json', { type: 'application/json', body: Buffer.from(JSON.stringify(config)) }],
  ]);
}

/**
 * The portal's static files written to a folder, for the CDK app's bucket
 * deployment (synthesis is synchronous, hence esbuild's buildSync);
 * config.json is not among them: the stack writes it with the API's address.
 */
export function writePortalFiles(dir: string): void {
  mkdirSync(`${dir}/assets`, { recursive: true });
  esbuild.buildSync({ ...SCRIPT_BUILD, outfile: `${dir}/assets/app.js` });
  copyFileSync(`${WEB_DIR}index.html`, `${dir}/index.html`);
  copyFileSync(`${WEB_DIR}app.css`, `${dir}/assets/app.css`);
  copyFileSync(`${WEB_DIR}favicon.svg`, `${dir}/assets/favicon.svg`);
}
