import { seesWholeOrganisation } from '../../domain/organisation.ts';
import * as z from 'zod';
import { daysBetween, isIsoDate } from '../../domain/calendar.ts';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../domain/errors.ts';
import type { Invoice } from '../../domain/invoice.ts';
import { WriteConflict } from '../../ports/unit-of-work.ts';
import type { ExportJob } from '../../domain/records.ts';
import type { ExportTotals } from '../../ports/documents.ts';
import { authoriseBilling, isFinance, type Actor } from '../actor.ts';
import { parseInput } from '../validation.ts';
import type { FinanceDeps } from './finance-deps.ts';
import { pdfKey } from './invoice-documents.ts';
import { eInvoiceProfilesOf, isArchived, keptPdf, keptXml } from './archive-documents.ts';
import type { Organisation } from '../../domain/organisation.ts';
import { journalExtension, writeJournal } from './journal-export.ts';
import type { JournalTotals } from '../../domain/journal.ts';

/** A year and a bit: enough for an annual closing, bounded so one request cannot ask for all history. */
export const MAX_EXPORT_DAYS = 400;
/** How long an export's link stays valid. */
export const EXPORT_LINK_SECONDS = 3600;

const isoDate = z.string().refine(isIsoDate, 'must be a date as YYYY-MM-DD');

export const ExportInput = z
  .object({
    from: isoDate,
    to: isoDate,
    orgId: z.string().min(1).max(100).optional(),
    partnerId: z.string().min(1).max(100).optional(),
    lines: z.boolean().default(false),
    pdf: z.boolean().default(false),
    /** Also the period's journal (docs/domain.md R-49), as the generic CSV or Banana's import text. */
    journal: z.enum(['csv', 'banana'], { message: 'must be csv or banana' }).optional(),
  })
  .strict()
  .refine((v) => v.from <= v.to, { message: 'from must not be after to', path: ['to'] })
  // Runs only on real dates: the date checks above have already reported anything else.
  .refine((v) => !isIsoDate(v.from) || !isIsoDate(v.to) || daysBetween(v.from, v.to) < MAX_EXPORT_DAYS, {
    message: `a period of at most ${MAX_EXPORT_DAYS} days`,
    path: ['to'],
  })
  .refine((v) => !(v.orgId && v.partnerId), { message: 'give an organisation or a partner, not both', path: ['partnerId'] });

export type ExportParams = z.infer<typeof ExportInput>;

/**
 * Who may export what: finance staff everything; a partner's billing users
 * the partner's documents and its clients'; an organisation's billing users
 * their own. Returns the organisations in scope (undefined: all).
 */
async function exportScope(deps: Pick<FinanceDeps, 'store'>, params: ExportParams, actor: Actor): Promise<Set<string> | undefined> {
  if (params.partnerId) {
    if (!isFinance(actor)) await authoriseBilling(deps.store, actor, params.partnerId);
    const partner = await deps.store.getOrganisation(params.partnerId);
    if (!partner?.partner) throw new NotFoundError(`Partner ${params.partnerId} not found`, 'partner_not_found');
    return new Set([partner.id, ...(await deps.store.listPartnerClients(partner.id))]);
  }
  if (params.orgId) {
    if (!isFinance(actor)) {
      const member = await authoriseBilling(deps.store, actor, params.orgId);
      // Every document of the organisation: more than a collaborator limited to some products may read.
      if (member && !seesWholeOrganisation(member)) {
        throw new ForbiddenError("Exporting an organisation's documents needs rights on all its products (legal owner or administrator)");
      }
    }
    if (!(await deps.store.getOrganisation(params.orgId))) throw new NotFoundError(`Organisation ${params.orgId} not found`, 'org_not_found');
    return new Set([params.orgId]);
  }
  if (!isFinance(actor)) throw new ForbiddenError('Exporting every organisation needs the finance scope');
  return undefined;
}

async function* documentsIn(deps: Pick<FinanceDeps, 'store'>, params: ExportParams, scope: Set<string> | undefined): AsyncIterable<Invoice> {
  for await (const doc of deps.store.iterateDocuments(params.from, params.to)) {
    if (!scope || scope.has(doc.orgId)) yield doc;
  }
}

export interface ExportResult {
  csvKey: string;
  zipKey?: string;
  totals: ExportTotals;
  journal?: { key: string; totals: JournalTotals };
}

/**
 * Writes the finance export of a period: one CSV row per document (or per
 * line), VAT per rate, payments per method, credit notes netting their
 * invoices; optionally a zip of the PDFs. Streamed from the date index to
 * the document store, so memory stays flat however many documents there are.
 */
export async function exportInvoices(
  deps: Pick<FinanceDeps, 'store' | 'renderer' | 'documents' | 'accounting' | 'archive' | 'eInvoices'>,
  raw: unknown,
  actor: Actor,
  opts: { name: string; onProgress?: (rows: number) => void },
): Promise<ExportResult> {
  const params = parseInput(ExportInput, raw);
  const scope = await exportScope(deps, params, actor);
  const csvKey = `exports/${opts.name}.csv`;
  const csv = deps.documents.writer(csvKey, 'text/csv; charset=utf-8');
  const totals = await deps.renderer.csv(documentsIn(deps, params, scope), csv.stream, { lines: params.lines }, opts.onProgress);
  await csv.done;
  const journal = params.journal ? { key: `exports/${opts.name}-journal.${journalExtension(params.journal)}` } : undefined;
  const journalPart = journal ? { journal: { ...journal, totals: await writeJournal(deps, documentsIn(deps, params, scope), params.journal!, journal.key) } } : {};
  if (!params.pdf) return { csvKey, totals, ...journalPart };
  const zipKey = `exports/${opts.name}-pdf.zip`;
  const zip = deps.documents.writer(zipKey, 'application/zip');
  const orgs = new Map<string, Promise<Organisation | undefined>>();
  const orgOf = (id: string) => orgs.get(id) ?? orgs.set(id, deps.store.getOrganisation(id)).get(id)!;
  async function* entries() {
    for await (const doc of documentsIn(deps, params, scope)) {
      const name = `${pdfKey(doc).split('/').at(-1)}`;
      // a final invoice or credit note goes in as kept; a pro-forma as it stands today.
      if (!isArchived(doc)) {
        yield { name, pdf: () => deps.renderer.pdf(doc) };
        continue;
      }
      const org = await orgOf(doc.orgId);
      yield { name, pdf: () => keptPdf(deps, doc, org) };
      // with the e-invoices its organisation receives, as kept too; one it cannot be written in is left out.
      for (const profile of eInvoiceProfilesOf(org)) {
        const xml = await keptXml(deps, doc, org!, profile);
        if (xml) yield { name: `${doc.number}.${profile}.xml`, pdf: () => Promise.resolve(xml) };
      }
    }
  }
  await deps.renderer.zip(entries(), zip.stream);
  await zip.done;
  return { csvKey, zipKey, totals, ...journalPart };
}

export interface ExportView {
  exportId: string;
  status: ExportJob['status'];
  params: ExportJob['params'];
  totals?: ExportJob['totals'];
  /** Time-limited links once done. */
  csvUrl?: string;
  zipUrl?: string;
  journalUrl?: string;
  journalTotals?: ExportJob['journalTotals'];
  error?: string;
}

async function viewOf(deps: Pick<FinanceDeps, 'documents'>, job: ExportJob): Promise<ExportView> {
  return {
    exportId: job.id,
    status: job.status,
    params: job.params,
    ...(job.totals ? { totals: job.totals } : {}),
    ...(job.csvKey ? { csvUrl: await deps.documents.link(job.csvKey, EXPORT_LINK_SECONDS) } : {}),
    ...(job.zipKey ? { zipUrl: await deps.documents.link(job.zipKey, EXPORT_LINK_SECONDS) } : {}),
    ...(job.journalKey ? { journalUrl: await deps.documents.link(job.journalKey, EXPORT_LINK_SECONDS) } : {}),
    ...(job.journalTotals ? { journalTotals: job.journalTotals } : {}),
    ...(job.error ? { error: job.error } : {}),
  };
}

/**
 * `POST /v1/exports`: checks the request and the actor's scope at once (a
 * refusal changes nothing), then queues the export for the worker.
 */
export async function requestExport(deps: Omit<FinanceDeps, 'renderer' | 'eInvoices' | 'archive'>, raw: unknown, actor: Actor): Promise<ExportView> {
  const params = parseInput(ExportInput, raw);
  await exportScope(deps, params, actor);
  const job: ExportJob = {
    id: deps.ids.next('exp'),
    requestedBy: actor.kind === 'user' ? actor.userId : 'system',
    params: {
      from: params.from,
      to: params.to,
      lines: params.lines,
      pdf: params.pdf,
      ...(params.journal ? { journal: params.journal } : {}),
      ...(params.orgId ? { orgId: params.orgId } : {}),
      ...(params.partnerId ? { partnerId: params.partnerId } : {}),
    },
    status: 'queued',
    createdAt: deps.clock.now(),
  };
  await deps.store.commit([{ type: 'exportJob', job, expectedStatus: null }]);
  await deps.exportsQueue.send([{ exportId: job.id }]);
  return viewOf(deps, job);
}

/** `GET /v1/exports/{id}`: only the one who asked (or finance staff) sees it. */
export async function getExport(deps: Pick<FinanceDeps, 'store' | 'documents'>, exportId: string, actor: Actor): Promise<ExportView> {
  const job = await deps.store.getExportJob(exportId);
  if (!job || (!isFinance(actor) && (actor.kind !== 'user' || job.requestedBy !== actor.userId))) {
    throw new NotFoundError(`Export ${exportId} not found`, 'export_not_found');
  }
  return viewOf(deps, job);
}

/**
 * How long a worker holds a running export: longer than the worker's own
 * time limit (15 minutes on Lambda), shorter than the queue's visibility
 * timeout, so the redelivery of a message whose worker died finds the lease
 * run out and takes the export over.
 */
export const EXPORT_LEASE_SECONDS = 16 * 60;

const plusSeconds = (iso: string, seconds: number) => new Date(Date.parse(iso) + seconds * 1000).toISOString();

/**
 * The exports queue's worker: runs a queued export once.
 *
 * 1. Take the job under a lease (queued, or running with its lease run out:
 *    the worker before died); a delivery that finds it done, failed or
 *    running under a live lease leaves it.
 * 2. Write the files (the same keys whoever writes them, so a take-over
 *    overwrites a dead worker's half).
 * 3. Record the outcome only while still holding the lease: a worker that
 *    was presumed dead and taken over records nothing.
 */
export async function runExport(deps: FinanceDeps, exportId: string): Promise<ExportJob['status']> {
  const job = await deps.store.getExportJob(exportId);
  if (!job) throw new NotFoundError(`Export ${exportId} not found`, 'export_not_found');
  const now = deps.clock.now();
  const abandoned = job.status === 'running' && (!job.leaseUntil || job.leaseUntil < now);
  if (job.status !== 'queued' && !abandoned) return job.status;
  const mine: ExportJob = { ...job, status: 'running', leaseUntil: plusSeconds(now, EXPORT_LEASE_SECONDS), runs: (job.runs ?? 0) + 1 };
  try {
    await deps.store.commit([{ type: 'exportJob', job: mine, expectedStatus: job.status, ...(abandoned && job.leaseUntil ? { expectedLease: job.leaseUntil } : {}) }]);
  } catch (err) {
    // Another delivery of the same message took it.
    if (err instanceof WriteConflict) return 'running';
    throw err;
  }
  if (abandoned) console.warn(JSON.stringify({ msg: 'export taken over from a worker that stopped', exportId, run: mine.runs, lease: job.leaseUntil }));
  const actor: Actor = { kind: 'system' };
  let done: ExportJob;
  try {
    const res = await exportInvoices(deps, job.params, actor, { name: job.id });
    done = {
      ...mine,
      status: 'done',
      csvKey: res.csvKey,
      ...(res.zipKey ? { zipKey: res.zipKey } : {}),
      totals: res.totals,
      ...(res.journal ? { journalKey: res.journal.key, journalTotals: res.journal.totals } : {}),
      finishedAt: deps.clock.now(),
    };
  } catch (err) {
    done = {
      ...mine,
      status: 'failed',
      error: err instanceof ValidationError || err instanceof ConflictError ? err.message : 'the export failed; see the logs',
      finishedAt: deps.clock.now(),
    };
    if (!(err instanceof ValidationError)) console.error(JSON.stringify({ msg: 'export failed', exportId, error: String(err) }));
  }
  delete done.leaseUntil;
  try {
    await deps.store.commit([{ type: 'exportJob', job: done, expectedStatus: 'running', expectedLease: mine.leaseUntil! }]);
  } catch (err) {
    // Presumed dead and taken over: the worker holding the lease now records the outcome.
    if (err instanceof WriteConflict) return (await deps.store.getExportJob(exportId))?.status ?? 'running';
    throw err;
  }
  return done.status;
}
