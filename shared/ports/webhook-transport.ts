/** What the provider's endpoint answered: its HTTP status, or no answer at all (refused, timed out). */
export type WebhookAnswer = { status: number } | { error: string };

/** POSTs a signed webhook to the provider's endpoint. */
export interface WebhookTransport {
  post(url: string, headers: Record<string, string>, body: string): Promise<WebhookAnswer>;
}

/** The signature headers of one webhook (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature). */
export interface WebhookSigner {
  headers(id: string, timestampSeconds: number, body: string): Record<string, string>;
}
