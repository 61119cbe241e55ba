import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { S3Event } from 'aws-lambda';
import { DomainError, ValidationError } from '../../shared/domain/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { UnitOfWork } from '../../shared/ports/unit-of-work.ts';
import { awsStoreDeps } from '../aws-store-runtime.ts';
import { lazyHandler } from '../entry-points.ts';
import { logSink, type LogSink } from '../observability.ts';
import { formatOfFileName, importProductFile, type ProductFileReport } from './product-file.ts';
import { storeAuditTrail } from './store-audit-trail.ts';

/** Where the provider drops product files, and where each one's report goes (infra/stateful-stack.ts). */
export const INCOMING = 'imports/incoming/';
export const REPORTS = 'imports/reports/';
/** Refused before it is read: a file of 5,000 rows is well under this. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

export interface ProductFiles {
  read(bucket: string, key: string): Promise<string>;
  write(bucket: string, key: string, body: string): Promise<void>;
}

/** What a dropped file became: the per-row report, or why the file as a whole was refused (nothing changed then). */
export type DroppedFileReport = { file: string; orgId: string; importedAt: string } & (ProductFileReport | { error: { code: string; message: string } });

type Deps = Parameters<typeof importProductFile>[0] & { store: UnitOfWork; clock: Clock };

/**
 * A product file dropped under `imports/incoming/<orgId>/<name>.ndjson|.csv`
 * (the provider's shop exports, an SFTP sync): imported as the back-office's
 * import route would, its report written beside it under
 * `imports/reports/<orgId>/<name>.report.json`, and the import kept in the
 * audit trail. A file refused as a whole (no such organisation, unknown
 * format, empty, too large) gets a report saying why and changes nothing;
 * anything else fails the invocation, which S3 retries, then parks on the
 * imports DLQ. Dropping the same file again adds nothing twice.
 */
export function makeImportProductsFileHandler(deps: Deps, files: ProductFiles, log?: LogSink) {
  const audit = storeAuditTrail(deps.store, deps.clock);
  return middy<S3Event, DroppedFileReport[]>().handler(async (event) => {
    const out: DroppedFileReport[] = [];
    for (const record of event.Records) {
      const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
      // `<orgId>/<name>`: a file straight under imports/incoming/ names no organisation.
      const parts = key.startsWith(INCOMING) ? key.slice(INCOMING.length).split('/') : [];
      const orgId = parts.length >= 2 ? parts[0]! : '';
      const name = parts.length >= 2 ? parts.slice(1).join('/') : '';
      const call = { requestId: `s3:${record.s3.object.sequencer ?? record.s3.object.eTag ?? key}`, client: 's3|drop', routeKey: `S3 ${INCOMING}`, params: { orgId, file: name } };
      await audit.start(call);
      const base = { file: key, orgId, importedAt: deps.clock.now() };
      let report: DroppedFileReport;
      try {
        if (!orgId || !name) throw new ValidationError(`A product file goes under ${INCOMING}<orgId>/<name>.ndjson or .csv, got ${key}`, 'invalid_file_key');
        const format = formatOfFileName(name);
        if (!format) throw new ValidationError(`${name}: a product file ends in .ndjson, .jsonl or .csv`, 'unsupported_media_type');
        if (record.s3.object.size > MAX_FILE_BYTES) throw new ValidationError(`${name} is ${record.s3.object.size} bytes; at most ${MAX_FILE_BYTES}: split it`, 'import_too_large');
        report = { ...base, ...(await importProductFile(deps, orgId, await files.read(record.s3.bucket.name, key), format)) };
        await audit.finish(call, { status: 200, result: report });
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        report = { ...base, error: { code: err.code, message: err.message } };
        await audit.finish(call, { status: err.status, code: err.code });
      }
      const reportKey = `${REPORTS}${orgId || '_unknown'}/${name || key.split('/').at(-1)}.report.json`;
      await files.write(record.s3.bucket.name, reportKey, JSON.stringify(report, null, 2) + '\n');
      log?.info('product file imported', {
        key,
        orgId,
        reportKey,
        ...('error' in report ? { error: report.error.code } : { rows: report.rows, added: report.added, unchanged: report.unchanged, refused: report.refused }),
      });
      out.push(report);
    }
    return out;
  });
}

let s3: S3Client | undefined;
const bucketFiles: ProductFiles = {
  async read(bucket, key) {
    s3 ??= new S3Client({});
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return res.Body ? res.Body.transformToString('utf-8') : '';
  },
  async write(bucket, key, body) {
    s3 ??= new S3Client({});
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }));
  },
};

export const handler = lazyHandler(() => makeImportProductsFileHandler(awsStoreDeps(), bucketFiles, logSink()));
