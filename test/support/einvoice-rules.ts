/**
 * The official e-invoice rules, run as their publishers ship them, with a
 * real XSLT 2 processor (Saxon-HE, Debian's libsaxonhe-java; SAXON_JAR names
 * another jar). test/fixtures/einvoice/SOURCES.md says where each comes from.
 *
 * - EN 16931 (CEN TC 434 via ConnectingEurope): the UBL and CII schematron,
 *   already compiled to XSLT by their publisher;
 * - Peppol BIS Billing 3.0 and XRechnung 3.0: schematron sources, compiled
 *   here with SchXslt (itself XSLT), once per run into a cache folder.
 *
 * Each rule set runs once over a folder of documents (one JVM, not one per
 * document) and reports every failed assertion with its flag; a failed
 * assertion without a flag counts as fatal.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../fixtures/einvoice/', import.meta.url));
export const SAXON_JAR = process.env.SAXON_JAR ?? '/usr/share/java/Saxon-HE.jar';

export type RuleSet = 'en16931-ubl' | 'en16931-cii' | 'peppol-ubl' | 'xrechnung-ubl' | 'xrechnung-cii';

const SOURCES: Record<RuleSet, { xslt?: string; schematron?: string }> = {
  'en16931-ubl': { xslt: 'en16931/EN16931-UBL-validation.xslt' },
  'en16931-cii': { xslt: 'en16931/EN16931-CII-validation.xslt' },
  'peppol-ubl': { schematron: 'peppol/PEPPOL-EN16931-UBL.sch' },
  'xrechnung-ubl': { schematron: 'xrechnung/ubl/XRechnung-UBL-validation.sch' },
  'xrechnung-cii': { schematron: 'xrechnung/cii/XRechnung-CII-validation.sch' },
};

export interface Finding {
  id: string;
  flag: string;
  location: string;
  text: string;
}

function saxon(args: string[]): void {
  execFileSync('java', ['-cp', SAXON_JAR, 'net.sf.saxon.Transform', ...args], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

/** The rule set as XSLT: shipped compiled, or compiled from its schematron with SchXslt into a cache keyed by the source's content. */
function stylesheet(rules: RuleSet): string {
  const source = SOURCES[rules];
  if (source.xslt) return join(FIXTURES, source.xslt);
  const sch = join(FIXTURES, source.schematron!);
  const hash = createHash('sha256')
    .update(readFileSync(sch))
    .update(readFileSync(join(FIXTURES, 'xrechnung/common.sch')))
    .digest('hex')
    .slice(0, 16);
  const cacheDir = join(tmpdir(), 'billing-einvoice-rules');
  mkdirSync(cacheDir, { recursive: true });
  const compiled = join(cacheDir, `${rules}-${hash}.xsl`);
  if (!existsSync(compiled)) {
    const partial = `${compiled}.${process.pid}.tmp`;
    saxon([`-s:${sch}`, `-xsl:${join(FIXTURES, 'schxslt/2.0/pipeline-for-svrl.xsl')}`, `-o:${partial}`]);
    // A rename is atomic: a concurrent run sees the old state or the whole file.
    execFileSync('mv', [partial, compiled]);
  }
  return compiled;
}

const attr = (attrs: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(attrs)?.[1] ?? '';
const unescape = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

/** The failed assertions of one SVRL report. */
export function failedAsserts(svrl: string): Finding[] {
  const out: Finding[] = [];
  for (const m of svrl.matchAll(/<svrl:failed-assert\b([^>]*)>([\s\S]*?)<\/svrl:failed-assert>/g)) {
    const attrs = m[1]!;
    const text = /<svrl:text>([\s\S]*?)<\/svrl:text>/.exec(m[2]!)?.[1] ?? '';
    out.push({ id: attr(attrs, 'id'), flag: attr(attrs, 'flag') || 'fatal', location: attr(attrs, 'location'), text: unescape(text.replace(/\s+/g, ' ').trim()) });
  }
  return out;
}

/** Runs one rule set over the documents (name → XML) and returns each document's failed assertions. */
export function validate(rules: RuleSet, documents: Record<string, string>): Record<string, Finding[]> {
  const work = mkdtempSync(join(tmpdir(), `einvoice-${rules}-`));
  const input = join(work, 'in');
  const output = join(work, 'out');
  mkdirSync(input);
  mkdirSync(output);
  for (const [name, xml] of Object.entries(documents)) writeFileSync(join(input, `${name}.xml`), xml);
  saxon([`-s:${input}`, `-xsl:${stylesheet(rules)}`, `-o:${output}`]);
  const reports: Record<string, Finding[]> = {};
  for (const file of readdirSync(output)) reports[file.replace(/\.xml$/, '')] = failedAsserts(readFileSync(join(output, file), 'utf8'));
  for (const name of Object.keys(documents)) if (!reports[name]) throw new Error(`${rules}: no report for ${name}`);
  return reports;
}

/** Whether the processor can run here (the tests say why they cannot, rather than pass without it). */
export const saxonAvailable = existsSync(SAXON_JAR);
