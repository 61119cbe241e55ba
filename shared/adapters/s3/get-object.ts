import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';

/** An object's bytes, or undefined when the key holds none. */
export async function getObjectBytes(client: S3Client, bucket: string, key: string): Promise<Buffer | undefined> {
  try {
    const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return res.Body ? Buffer.from(await res.Body.transformToByteArray()) : undefined;
  } catch (err) {
    if (err instanceof NoSuchKey) return undefined;
    throw err;
  }
}
