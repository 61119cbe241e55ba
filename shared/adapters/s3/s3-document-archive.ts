import { PutObjectCommand, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { getObjectBytes } from './get-object.ts';
import type { DocumentArchive } from '../../ports/documents.ts';

/** COMPLIANCE: no one can shorten or lift the lock. GOVERNANCE: an operator with s3:BypassGovernanceRetention can (a test stage). */
export type ArchiveLockMode = 'COMPLIANCE' | 'GOVERNANCE';

/**
 * The archive bucket (Object Lock on, infra/stateful-stack.ts): each document put once, with
 * `If-None-Match: *` so a second writer never replaces the first, and locked in the stage's mode until its
 * retention ends. Object Lock wants a checksum with each put: SHA-256.
 */
export class S3DocumentArchive implements DocumentArchive {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly mode: ArchiveLockMode = 'COMPLIANCE',
  ) {
    if (mode !== 'COMPLIANCE' && mode !== 'GOVERNANCE') throw new Error(`the archive's lock mode is COMPLIANCE or GOVERNANCE, got ${String(mode)}`);
  }

  async keep(key: string, body: Buffer, contentType: string, retainUntil: string): Promise<'kept' | 'exists'> {
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          IfNoneMatch: '*',
          ObjectLockMode: this.mode,
          ObjectLockRetainUntilDate: new Date(`${retainUntil}T00:00:00Z`),
          ChecksumAlgorithm: 'SHA256',
        }),
      );
      return 'kept';
    } catch (err) {
      // 412: the key holds a document already. 409: another writer is putting it this very moment; theirs stands.
      if (err instanceof S3ServiceException && (err.$metadata.httpStatusCode === 412 || err.$metadata.httpStatusCode === 409)) return 'exists';
      throw err;
    }
  }

  get(key: string): Promise<Buffer | undefined> {
    return getObjectBytes(this.client, this.bucket, key);
  }
}
