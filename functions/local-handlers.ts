/**
 * The queue consumers the local runtime drains, loaded at the first drain: each module also holds its AWS
 * entry point, whose runtime pulls the S3, SQS and Secrets Manager clients, which a command that only reads
 * (`products list`) has no use for.
 */
export { makeSettlePaymentHandler } from './checkout/settle-payment.ts';
export { makeRunExportHandler } from './finance/run-export.ts';
export { makeArchiveDocumentsHandler } from './finance/archive-documents.ts';
export { makeApplyLifecycleHandler } from './lifecycle/apply-lifecycle.ts';
export { makeRenewProductHandler } from './renewal/renew-product.ts';
