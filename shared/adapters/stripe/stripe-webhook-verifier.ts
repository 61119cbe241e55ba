import Stripe from 'stripe';
import { InvalidSignatureError, type GatewayEvent, type WebhookVerifier } from '../../ports/payment-gateway.ts';

export interface StripeWebhookVerifierOptions {
  /** Older signatures are refused so a captured request cannot be replayed later; Stripe's default is 300. */
  toleranceSeconds?: number;
  /** Milliseconds since the epoch; injectable so tests can pin "now". */
  now?: () => number;
}

/**
 * Verifies the Stripe-Signature header on the raw body. The raw body matters:
 * the signature covers the exact bytes Stripe sent, so a body re-serialised by
 * a framework would never match.
 */
export class StripeWebhookVerifier implements WebhookVerifier {
  private readonly toleranceSeconds: number;
  private readonly now: () => number;

  constructor(
    private readonly secret: string,
    options: StripeWebhookVerifierOptions = {},
  ) {
    if (!secret.trim()) throw new Error('a Stripe webhook secret (whsec_...) is required');
    this.toleranceSeconds = options.toleranceSeconds ?? 300;
    this.now = options.now ?? Date.now;
  }

  verify(rawBody: string, signatureHeader: string | undefined): GatewayEvent {
    if (!signatureHeader) throw new InvalidSignatureError('missing Stripe-Signature header');
    let event: Stripe.Event;
    try {
      event = Stripe.webhooks.constructEvent(rawBody, signatureHeader, this.secret, this.toleranceSeconds, undefined, this.now());
    } catch (err) {
      // Signature mismatch, stale timestamp, malformed header or an unparsable body: all mean "not from Stripe".
      throw new InvalidSignatureError(err instanceof Error ? err.message.split('\n')[0]! : 'invalid Stripe signature');
    }
    return toGatewayEvent(event);
  }
}

/** The common part of a Stripe event; `object` stays Stripe's payload for the caller to interpret. */
export function toGatewayEvent(event: Stripe.Event): GatewayEvent {
  const object: unknown = event?.data?.object;
  if (typeof event?.id !== 'string' || typeof event.type !== 'string' || typeof event.created !== 'number' || !isRecord(object)) {
    throw new InvalidSignatureError('signed payload is not a Stripe event');
  }
  return { id: event.id, type: event.type, created: event.created, object };
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
