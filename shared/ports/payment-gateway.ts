import type { Money } from '../domain/money.ts';

export interface ChargeRequest {
  orgId: string;
  customerRef?: string;
  paymentMethodRef: string;
  amount: Money;
  /** Same key, same charge: a retried message never charges twice. */
  idempotencyKey: string;
  description: string;
  metadata: Record<string, string>;
}

export type ChargeResult =
  | { status: 'succeeded'; paymentRef: string }
  | { status: 'declined'; paymentRef?: string; code: string; message: string }
  | { status: 'requires_action'; paymentRef: string; code: 'authentication_required'; message: string };

/** Rate limits, time-outs, connection errors: retry later with the same key. */
export class TransientGatewayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransientGatewayError';
  }
}

export interface PaymentGateway {
  /** Off-session charge of a saved method. */
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /** The current state of a charge made earlier, by its provider id. */
  retrieve(paymentRef: string): Promise<ChargeResult | undefined>;
}
