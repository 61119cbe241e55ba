/**
 * The files a function that renders PDFs needs next to its esbuild bundle.
 * esbuild bundles JavaScript only; pdfkit and the renderer read files at run
 * time (foliojs/pdfkit#1441), which a Lambda bundle has no node_modules to
 * find them in:
 *
 * - pdfkit 0.20's standard fonts (Helvetica, which every document starts
 *   with and the Swiss QR-bill writes in) are CommonJS modules it loads with
 *   `createRequire(import.meta.url)('#standard-fonts/Helvetica')`, a package
 *   "imports" specifier esbuild cannot follow. They are copied to
 *   `pdfkit/standard-fonts/`, and a package.json beside index.mjs maps
 *   `#standard-fonts/*` there, as pdfkit's own package.json does.
 * - pdfkit's `data/` folder, resolved as `new URL('./data/…', import.meta.url)`
 *   (ESM build) or `__dirname + '/data/…'` (CommonJS build): in the bundle
 *   both are index.mjs's folder. pdfkit 0.20 reads only the sRGB ICC profile
 *   from it (PDF/A); its .afm metrics became the standard-font modules above,
 *   so no .afm file is read and none is shipped.
 * - DejaVu Sans (regular and bold): the renderer embeds them so every accent
 *   prints. They go to `fonts/`, which the function names in BILLING_FONTS_DIR
 *   (shared/adapters/pdf/invoice-pdf.ts reads it before the npm package).
 *
 * Run as a script (`node --import tsx infra/pdf-bundle-files.ts <outputDir>`)
 * by BillingFunction's afterBundling hook; no npm install, no network.
 */
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** BILLING_FONTS_DIR of a PDF function: relative to the function's root (LAMBDA_TASK_ROOT, /var/task). */
export const FONTS_DIR_IN_BUNDLE = 'fonts';

/** The two faces the renderer registers (invoice-pdf.ts: DejaVuSans, DejaVuSans-Bold). */
export const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'] as const;

/** The package.json written beside index.mjs: pdfkit's `#standard-fonts/*` imports, pointed at the copies. */
export const BUNDLE_PACKAGE_JSON = {
  private: true,
  imports: { '#standard-fonts/*': './pdfkit/standard-fonts/*.cjs' },
} as const;

const require = createRequire(import.meta.url);

/** pdfkit's js/ folder (its CommonJS entry lives there; the package exports no package.json). */
const PDFKIT_JS_DIR = dirname(require.resolve('pdfkit'));
const DEJAVU_TTF_DIR = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');

export interface BundleFile {
  /** Absolute path in node_modules. */
  from: string;
  /** Path relative to the bundle's output directory. */
  to: string;
}

function filesOf(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && keep(entry.name))
    .map((entry) => entry.name)
    .sort();
}

/** Every file copied into a PDF function's bundle (package.json aside). */
export function pdfBundleFiles(): BundleFile[] {
  const standardFonts = join(PDFKIT_JS_DIR, 'standard-fonts');
  const chunks = join(standardFonts, 'chunks');
  const data = join(PDFKIT_JS_DIR, 'data');
  const cjs = (name: string) => name.endsWith('.cjs');
  return [
    ...filesOf(standardFonts, cjs).map((name) => ({ from: join(standardFonts, name), to: `pdfkit/standard-fonts/${name}` })),
    ...filesOf(chunks, cjs).map((name) => ({ from: join(chunks, name), to: `pdfkit/standard-fonts/chunks/${name}` })),
    ...filesOf(data, (name) => name.endsWith('.icc')).map((name) => ({ from: join(data, name), to: `data/${name}` })),
    ...FONT_FILES.map((name) => ({ from: join(DEJAVU_TTF_DIR, name), to: `${FONTS_DIR_IN_BUNDLE}/${name}` })),
  ];
}

/** Copies the files and writes the package.json into a bundle's output directory. */
export function copyPdfBundleFiles(outputDir: string): void {
  for (const file of pdfBundleFiles()) {
    const target = join(outputDir, ...file.to.split('/'));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file.from, target);
  }
  writeFileSync(join(outputDir, 'package.json'), `${JSON.stringify(BUNDLE_PACKAGE_JSON, null, 2)}\n`);
}

/** This module's path, for the bundling hook's command line. */
export const PDF_BUNDLE_FILES_SCRIPT = fileURLToPath(import.meta.url);

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const outputDir = process.argv[2];
  if (!outputDir) {
    console.error('usage: node --import tsx infra/pdf-bundle-files.ts <bundle output directory>');
    process.exit(2);
  }
  copyPdfBundleFiles(outputDir);
}
