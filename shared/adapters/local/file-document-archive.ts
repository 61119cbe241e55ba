import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { DocumentArchive } from '../../ports/documents.ts';

/**
 * The archive on this machine: files under a folder, each created once. Written beside its place, then
 * hard-linked there, which fails when the name exists: two writers of one document leave the first one's
 * file, whole. Made read-only, as near as a folder comes to S3 Object Lock; the retention date is S3's.
 */
export class FileDocumentArchive implements DocumentArchive {
  private readonly root: string;
  private written = 0;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private path(key: string): string {
    const path = resolve(join(this.root, key));
    if (!path.startsWith(this.root + '/')) throw new Error(`document key ${key} leaves ${this.root}`);
    return path;
  }

  async keep(key: string, body: Buffer, _contentType?: string, _retainUntil?: string): Promise<'kept' | 'exists'> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    const partial = `${path}.${process.pid}.${++this.written}.partial`;
    await writeFile(partial, body, { mode: 0o444 });
    try {
      await link(partial, path);
      return 'kept';
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
      throw err;
    } finally {
      await rm(partial, { force: true });
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
}
