import type { WebhookAnswer, WebhookTransport } from '../../ports/webhook-transport.ts';

/** Node's fetch, with a deadline: an endpoint that does not answer in time is a failed delivery, retried later. */
export class FetchWebhookTransport implements WebhookTransport {
  constructor(private readonly timeoutMs = 10_000) {}

  async post(url: string, headers: Record<string, string>, body: string): Promise<WebhookAnswer> {
    try {
      const res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) });
      // The answer's body is not needed, but must be read for the connection to be reused.
      await res.arrayBuffer().catch(() => undefined);
      return { status: res.status };
    } catch (err) {
      return { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
    }
  }
}
