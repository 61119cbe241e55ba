import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { WebhookSigner } from '../../ports/webhook-transport.ts';

/**
 * Signs as the Standard Webhooks specification says (the scheme Svix and
 * others verify): `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "<id>.<timestamp>.<body>">` with the secret `whsec_<base64 key>`. The id
 * is the business event's own, so a receiver drops a delivery it has seen;
 * the timestamp lets it refuse old replays of a captured request.
 */
export class StandardWebhookSigner implements WebhookSigner {
  private readonly webhook: Webhook;

  constructor(secret: string) {
    if (!/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/.test(secret)) throw new Error('a webhook signing secret is whsec_ and at least 24 bytes in base64');
    this.webhook = new Webhook(secret);
  }

  headers(id: string, timestampSeconds: number, body: string): Record<string, string> {
    return {
      'webhook-id': id,
      'webhook-timestamp': String(timestampSeconds),
      'webhook-signature': this.webhook.sign(id, new Date(timestampSeconds * 1000), body),
    };
  }
}

/** A new signing secret, to share with the provider's receiver. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
