import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ChargeRequest, ChargeResult, PaymentGateway } from '../../ports/payment-gateway.ts';

/**
 * Stripe's test payment methods, without Stripe: the default gateway when no
 * key is configured. Like Stripe, a repeated idempotency key returns the
 * first result, and a key reused with other parameters is an error.
 */
const BEHAVIOUR: Record<string, Omit<Extract<ChargeResult, { status: 'declined' | 'requires_action' }>, 'paymentRef'> | 'succeeds'> = {
  pm_card_visa: 'succeeds',
  pm_card_mastercard: 'succeeds',
  pm_card_cb: 'succeeds',
  pm_card_ch: 'succeeds',
  pm_twint: 'succeeds',
  pm_paypal: 'succeeds',
  pm_card_chargeDeclined: { status: 'declined', code: 'card_declined', message: 'Your card was declined.' },
  pm_card_chargeDeclinedInsufficientFunds: { status: 'declined', code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  pm_card_chargeDeclinedExpiredCard: { status: 'declined', code: 'expired_card', message: 'Your card has expired.' },
  pm_card_authenticationRequired: {
    status: 'requires_action',
    code: 'authentication_required',
    message: 'Your card was declined. This transaction requires authentication.',
  },
};

interface StoredCharge {
  key: string;
  fingerprint: string;
  result: ChargeResult;
}

export class SandboxPaymentGateway implements PaymentGateway {
  private readonly byKey = new Map<string, StoredCharge>();
  private readonly byRef = new Map<string, ChargeResult>();
  private seq = 0;
  /** Every call, for tests that count charges. */
  readonly calls: ChargeRequest[] = [];

  /** With a journal file the sandbox remembers its charges across processes, as Stripe would. */
  constructor(private readonly journal?: string) {
    if (journal && existsSync(journal)) {
      for (const line of readFileSync(journal, 'utf8').split('\n')) {
        if (line.trim()) this.remember(JSON.parse(line) as StoredCharge, false);
      }
    }
  }

  async charge(req: ChargeRequest): Promise<ChargeResult> {
    this.calls.push(req);
    const fingerprint = `${req.paymentMethodRef}|${req.amount.currency}|${req.amount.toString()}`;
    const known = this.byKey.get(req.idempotencyKey);
    if (known) {
      if (known.fingerprint !== fingerprint) {
        throw new Error(`idempotency key ${req.idempotencyKey} was used with other parameters (${known.fingerprint})`);
      }
      return known.result;
    }
    const minor = req.amount.toMinorUnits();
    if (minor < 50) {
      // Stripe's minimum charge is 0.50 in CHF and EUR.
      return this.store(req.idempotencyKey, fingerprint, { status: 'declined', code: 'amount_too_small', message: 'Amount must be at least 0.50' });
    }
    const ref = `pi_sandbox_${Date.now().toString(36)}${(++this.seq).toString(36)}`;
    const behaviour = BEHAVIOUR[req.paymentMethodRef] ?? {
      status: 'declined' as const,
      code: 'resource_missing',
      message: `No such PaymentMethod: '${req.paymentMethodRef}'`,
    };
    const result: ChargeResult = behaviour === 'succeeds' ? { status: 'succeeded', paymentRef: ref } : ({ ...behaviour, paymentRef: ref } as ChargeResult);
    return this.store(req.idempotencyKey, fingerprint, result);
  }

  async retrieve(paymentRef: string): Promise<ChargeResult | undefined> {
    return this.byRef.get(paymentRef);
  }

  private store(key: string, fingerprint: string, result: ChargeResult): ChargeResult {
    this.remember({ key, fingerprint, result }, true);
    return result;
  }

  private remember(entry: StoredCharge, persist: boolean): void {
    this.byKey.set(entry.key, entry);
    if ('paymentRef' in entry.result && entry.result.paymentRef) this.byRef.set(entry.result.paymentRef, entry.result);
    if (persist && this.journal) {
      mkdirSync(dirname(this.journal), { recursive: true });
      appendFileSync(this.journal, JSON.stringify(entry) + '\n');
    }
  }

  /** Successful charges, one per idempotency key. */
  succeededCharges(): number {
    return [...this.byKey.values()].filter((c) => c.result.status === 'succeeded').length;
  }
}
