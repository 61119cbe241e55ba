import { BusinessRuleError } from './errors.ts';
import type { Currency } from './money.ts';

export type PaymentMethodKind = 'card' | 'postfinance' | 'twint' | 'paypal';
export type CardBrand = 'visa' | 'mastercard' | 'cb';

/** A method saved at the payment provider; we keep only its reference, never card data. */
export interface SavedPaymentMethod {
  id: string;
  orgId: string;
  kind: PaymentMethodKind;
  brand?: CardBrand;
  /** What the customer sees, e.g. "Visa •••• 4242". */
  label: string;
  /** The provider's id (Stripe PaymentMethod), e.g. pm_card_visa. */
  gatewayRef: string;
  createdAt: string;
  /** Set when the provider no longer holds it (detached): it can no longer be charged. */
  detachedAt?: string;
}

/** The id a method saved from the provider gets: derived from the provider's id, so saving it twice is one method. */
export function savedMethodId(gatewayRef: string): string {
  return `pm-${gatewayRef.replace(/[^A-Za-z0-9_]/g, '')}`;
}

/** docs/domain.md R-20 and Stripe: PostFinance and Twint take CHF only. */
const CHF_ONLY: ReadonlySet<PaymentMethodKind> = new Set(['postfinance', 'twint']);

export function assertMethodAcceptsCurrency(kind: PaymentMethodKind, currency: Currency): void {
  if (CHF_ONLY.has(kind) && currency !== 'CHF') {
    throw new BusinessRuleError(
      `${kind === 'postfinance' ? 'PostFinance' : 'Twint'} accepts only invoices in CHF, this organisation pays in ${currency}`,
      'method_currency_not_supported',
    );
  }
}

/** Methods that can be charged off-session and therefore serve automatic renewals. */
export function servesAutomaticRenewal(method: SavedPaymentMethod): boolean {
  return method.kind === 'card' || method.kind === 'twint' || method.kind === 'paypal';
}
