import { S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3DocumentArchive } from '../../../shared/adapters/s3/s3-document-archive.ts';
import { startLocalS3, type LocalS3 } from '../../infra/lambda-sandbox.ts';

// What S3 needs to lock an object (user guide, "Using S3 Object Lock"): the mode and date headers, and a
// checksum (Content-MD5 or an x-amz-checksum-*) with every put to a bucket with Object Lock.
describe('S3DocumentArchive (a local S3 that honours If-None-Match)', () => {
  let s3: LocalS3;
  let archive: S3DocumentArchive;
  beforeAll(async () => {
    s3 = await startLocalS3();
    archive = new S3DocumentArchive(
      new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'eu-central-2', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
      'archive-bucket',
    );
  });
  afterAll(() => s3.close());

  it('puts a document once, locked in compliance mode until its date, with its SHA-256, and never replaces it', async () => {
    const key = 'archive/ch/2026/INV-CH-2026-000001.pdf';
    const first = Buffer.from('%PDF-1.7 first');
    expect(await archive.keep(key, first, 'application/pdf', '2037-01-01')).toBe('kept');
    const headers = s3.putHeaders.get(`archive-bucket/${key}`)!;
    expect(headers['if-none-match']).toBe('*');
    expect(headers['x-amz-object-lock-mode']).toBe('COMPLIANCE');
    expect(headers['x-amz-object-lock-retain-until-date']).toBe('2037-01-01T00:00:00Z');
    expect(headers['x-amz-checksum-sha256']).toBe(createHash('sha256').update(first).digest('base64'));
    expect(headers['content-type']).toBe('application/pdf');

    expect(await archive.keep(key, Buffer.from('%PDF-1.7 second'), 'application/pdf', '2037-01-01')).toBe('exists');
    expect((await archive.get(key))?.equals(first)).toBe(true);
    expect(await archive.get('archive/ch/2026/INV-CH-2026-000002.pdf')).toBeUndefined();
  });
});
