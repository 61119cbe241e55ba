import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Pipes `source` into `out` and gives the writer a way to wait for room.
 *
 * `waitForRoom` resolves on the source's 'drain' and rejects as soon as the
 * pipeline fails (the destination errored or was closed), so a writer that
 * waits for a drain that will never come does not hang.
 */
export function pipeInto(source: Readable & Writable, out: NodeJS.WritableStream) {
  const done = pipeline(source, out);
  let failure: unknown;
  let failed = false;
  const aborted = new Promise<never>((_, reject) => {
    done.catch((err: unknown) => {
      failed = true;
      failure = err;
      reject(err);
    });
  });
  // Observed through `waitForRoom` / `finish`; never an unhandled rejection.
  aborted.catch(() => undefined);

  return {
    /** Call when `source.write` returned false. */
    async waitForRoom(): Promise<void> {
      if (failed) throw failure;
      const controller = new AbortController();
      try {
        await Promise.race([once(source, 'drain', { signal: controller.signal }), aborted]);
      } finally {
        controller.abort();
      }
    },
    /** Ends the source (unless it ends itself) and waits until `out` has flushed everything. */
    async finish({ end = true }: { end?: boolean } = {}): Promise<void> {
      if (end) source.end();
      await done;
    },
    /** Tears both streams down after a failure on the producing side, then rethrows it. */
    async fail(err: unknown): Promise<never> {
      source.destroy(err instanceof Error ? err : new Error(String(err)));
      await done.catch(() => undefined);
      throw err;
    },
  };
}
