import type { DocumentReads, OperationReads, OrganisationReads } from '../../ports/billing-store.ts';
import type { AccountingMap } from '../../domain/journal.ts';
import type { UnitOfWork } from '../../ports/unit-of-work.ts';
import type { Clock } from '../../ports/clock.ts';
import type { DocumentArchive, DocumentRenderer, DocumentStore, EInvoiceWriter } from '../../ports/documents.ts';
import type { IdGenerator } from '../../ports/ids.ts';
import type { MessageQueue } from '../../ports/message-queue.ts';
import type { RateLimiter } from '../../ports/rate-limiter.ts';

/** One finance export to run: the exports queue's message. */
export interface ExportMessage {
  exportId: string;
}

/** Finance reads documents and who may see them; it writes export jobs. No product, payment or checkout. */
export type FinanceStore = UnitOfWork & Pick<OrganisationReads, 'getOrganisation' | 'getMember' | 'listPartnerClients'> & DocumentReads & Pick<OperationReads, 'getExportJob'>;

export interface FinanceDeps {
  store: FinanceStore;
  clock: Clock;
  ids: IdGenerator;
  renderer: DocumentRenderer;
  eInvoices: EInvoiceWriter;
  documents: DocumentStore;
  /** Issued documents kept as issued (docs/domain.md R-30): S3 with Object Lock in AWS, out/archive/ here. */
  archive: DocumentArchive;
  exportsQueue: MessageQueue<ExportMessage>;
  /** The journal's chart of accounts and VAT codes (the stage's configuration); a Swiss SME chart when absent. */
  accounting?: AccountingMap;
  /** The public API's per-client request limit; absent where no HTTP request arrives (workers, CLI). */
  rateLimiter?: RateLimiter;
}
