import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Tinypool from 'tinypool';
import type { Invoice } from '../../domain/invoice.ts';
import { FileFormatsRenderer } from './document-renderer.ts';

/**
 * The file formats of FileFormatsRenderer, with PDFs drawn on worker threads:
 * drawing is CPU work on the main thread otherwise, while the store waits on
 * the other core. The pool starts on the first PDF and is closed by `close`.
 * Workers need the compiled worker module (the CLI's build): run from the
 * TypeScript sources, PDFs are drawn on the calling thread (Node's workers do
 * not inherit the TypeScript loader).
 */
export class WorkerPdfRenderer extends FileFormatsRenderer {
  private pool: Tinypool | undefined;

  constructor(private readonly threads: number) {
    super();
  }

  override async pdf(invoice: Invoice): Promise<Buffer> {
    const filename = (WORKER ??= builtWorker() ?? '');
    if (!filename) return super.pdf(invoice);
    this.pool ??= new Tinypool({ filename, minThreads: 1, maxThreads: this.threads, idleTimeout: 10_000 });
    // A Buffer comes back as a Uint8Array over the same memory.
    const bytes = (await this.pool.run({ invoice })) as Uint8Array;
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
    this.pool = undefined;
  }
}

let WORKER: string | undefined;

/** The worker's module, built beside the CLI (functions/cli/billing.mjs; this code may sit in its chunks/ folder). */
function builtWorker(): string | undefined {
  for (const at of ['./pdf-worker.mjs', '../pdf-worker.mjs']) {
    const built = new URL(at, import.meta.url);
    if (existsSync(fileURLToPath(built))) return built.href;
  }
  return undefined;
}
