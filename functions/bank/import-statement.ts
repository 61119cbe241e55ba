import { createHash } from 'node:crypto';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { S3Event } from 'aws-lambda';
import { assertCamt054Size, parseCamt054 } from '../../shared/adapters/bank/camt054.ts';
import { importBankStatement, type BankDeps, type ImportReport } from '../../shared/use-cases/bank/import-bank-statement.ts';
import { awsStoreDeps } from '../aws-store-runtime.ts';
import { lazyHandler } from '../entry-points.ts';

/**
 * A camt.054 file dropped in the bucket under `bank/incoming/`: read, parsed
 * and settled. The same file dropped twice settles nothing twice (each credit
 * is recorded once by the bank's id).
 */
export function makeImportStatementHandler(deps: BankDeps, read: (bucket: string, key: string) => Promise<string>) {
  return middy<S3Event, ImportReport[]>().handler(async (event) => {
    const reports: ImportReport[] = [];
    for (const record of event.Records) {
      const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
      // Refused before it is read: memory stays bounded whatever is dropped in the bucket.
      assertCamt054Size(record.s3.object.size, key);
      const xml = await read(record.s3.bucket.name, key);
      const report = await importBankStatement(deps, parseCamt054(xml), createHash('sha256').update(xml).digest('hex'));
      console.log(
        JSON.stringify({
          msg: 'bank statement imported',
          key,
          statementId: report.statementId,
          duplicate: report.alreadyImported,
          settled: report.settled,
          toReview: report.toReview,
        }),
      );
      reports.push(report);
    }
    return reports;
  });
}

let s3: S3Client | undefined;
async function readObject(bucket: string, key: string): Promise<string> {
  s3 ??= new S3Client({});
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return res.Body ? res.Body.transformToString('utf-8') : '';
}

export const handler = lazyHandler(() => makeImportStatementHandler(awsStoreDeps(), readObject));
