import { createWriteStream, mkdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { rename, rm } from 'node:fs/promises';
import type { DocumentStore } from '../../ports/documents.ts';

/** The local stand-in for the S3 bucket: files under a folder (`out/` by default). */
export class FileDocumentStore implements DocumentStore {
  private readonly root: string;
  private linker?: (key: string, expiresInSeconds: number) => string;

  constructor(root = 'out') {
    this.root = resolve(root);
  }

  private path(key: string): string {
    const path = resolve(join(this.root, key));
    // A key is ours to choose, but never let one escape the folder.
    if (!path.startsWith(this.root + '/')) throw new Error(`document key ${key} leaves ${this.root}`);
    return path;
  }

  async put(key: string, body: Buffer): Promise<void> {
    const path = this.path(key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, body);
  }

  async get(key: string): Promise<Buffer | undefined> {
    const path = this.path(key);
    return existsSync(path) ? readFileSync(path) : undefined;
  }

  /** Written beside its place and moved there once whole, as S3 shows an upload only once complete: a writing given up leaves nothing. */
  writer(key: string): { stream: ReturnType<typeof createWriteStream>; done: Promise<void> } {
    const path = this.path(key);
    mkdirSync(dirname(path), { recursive: true });
    const partial = `${path}.partial`;
    const stream = createWriteStream(partial);
    const done = finished(stream).then(
      () => rename(partial, path),
      async (err: unknown) => {
        await rm(partial, { force: true });
        throw err;
      },
    );
    return { stream, done };
  }

  /** A file's path; once the local server serves the folder, a link of that server that expires, as S3's presigned links do. */
  async link(key: string, expiresInSeconds = 3600): Promise<string> {
    const path = this.path(key);
    return this.linker ? this.linker(key, expiresInSeconds) : path;
  }

  /** Set by the local HTTP server: the links it hands out become its own download URLs. */
  serveLinks(linker: (key: string, expiresInSeconds: number) => string): void {
    this.linker = linker;
  }
}
