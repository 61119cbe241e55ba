import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getObjectBytes } from './get-object.ts';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { PassThrough } from 'node:stream';
import type { DocumentStore } from '../../ports/documents.ts';

/** PDFs and exports in the bucket; large files are streamed up in parts, links are presigned. */
export class S3DocumentStore implements DocumentStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  get(key: string): Promise<Buffer | undefined> {
    return getObjectBytes(this.client, this.bucket, key);
  }

  writer(key: string, contentType: string): { stream: PassThrough; done: Promise<void> } {
    const stream = new PassThrough();
    const upload = new Upload({ client: this.client, params: { Bucket: this.bucket, Key: key, Body: stream, ContentType: contentType } });
    return { stream, done: upload.done().then(() => undefined) };
  }

  link(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: expiresInSeconds });
  }
}
