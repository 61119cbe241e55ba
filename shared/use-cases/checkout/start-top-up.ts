import * as z from 'zod';
import { assertCheckoutMethod } from '../../domain/checkout.ts';
import { Money } from '../../domain/money.ts';
import { assertDepositInRange } from '../../domain/top-up.ts';
import { authoriseBilling, type Actor } from '../actor.ts';
import { parseInput } from '../validation.ts';
import type { CheckoutDeps } from './checkout-deps.ts';
import type { CheckoutView } from './checkout-view.ts';
import { begin, fingerprint, requestId, returnUrl } from './start-checkout.ts';

export const TopUpCheckoutInput = z
  .object({
    amount: z.string().regex(/^\d+(\.\d{1,2})?$/, 'must be a positive amount with at most 2 decimals, such as 50 or 12.50'),
    method: z.enum(['card', 'postfinance', 'iban'], { message: 'must be card, postfinance or iban' }),
    returnUrl,
    requestId,
  })
  .strict();

/** Tops up the prepaid balance through a payment (card, PostFinance in CHF, or bank transfer); credited only when paid. */
export async function startTopUp(deps: CheckoutDeps, orgId: string, raw: unknown, actor: Actor): Promise<CheckoutView> {
  const input = parseInput(TopUpCheckoutInput, raw);
  await authoriseBilling(deps.store, actor, orgId);
  const { requestId: key, ...request } = input;
  return begin(deps, orgId, actor, `top-up/${key}`, fingerprint(request), async (org) => {
    const amount = Money.of(input.amount, org.currency);
    assertDepositInRange(amount);
    assertCheckoutMethod(input.method, org.currency, 'top-up');
    return {
      purpose: 'top-up' as const,
      items: [],
      method: input.method,
      useBalance: false,
      saveMethod: false,
      totalNet: amount,
      totalVat: Money.zero(org.currency),
      total: amount,
      vat: { kind: 'none', rate: '0', country: org.country },
      ...(input.returnUrl ? { returnUrl: input.returnUrl } : {}),
    };
  });
}
