/**
 * What the Lambda bundles take for `brotli/decompress.js` (an esbuild alias,
 * infra/billing-function.ts). fontkit imports brotli (475 KiB) only to read
 * WOFF2 fonts; the PDF functions embed the TrueType files they ship (DejaVu
 * Sans), so a WOFF2 font reaching fontkit is a fault, said by name.
 */
export default function decompress(): never {
  throw new Error('WOFF2 fonts are not supported in this function: it ships TrueType fonts only (infra/no-woff2.ts)');
}
