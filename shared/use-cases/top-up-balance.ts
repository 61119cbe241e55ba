import * as z from 'zod';
import { ConflictError } from '../domain/errors.ts';
import { Money } from '../domain/money.ts';
import { assertDepositInRange } from '../domain/top-up.ts';
import type { Change, UnitOfWork } from '../ports/unit-of-work.ts';
import type { Clock } from '../ports/clock.ts';
import { authoriseBilling, SYSTEM, type Actor } from './actor.ts';
import { loadOrg, retryOnConflict } from './renewal-deps.ts';
import { parseInput } from './validation.ts';
import type { OrganisationReads, PaymentReads } from '../ports/billing-store.ts';

export const TopUpInput = z.object({
  amount: z.string().regex(/^\d+(\.\d{1,2})?$/, 'must be a positive amount with at most 2 decimals, such as 50 or 12.50'),
  /** Makes a retried request a no-op. */
  reference: z.string().min(1).max(100),
});

/**
 * Credits the prepaid balance; the balance and its ledger entry move in one
 * transaction, and the reference makes a replay fail instead of crediting twice.
 */
export async function topUpBalance(
  deps: { store: OrganisationReads & PaymentReads & UnitOfWork; clock: Clock },
  orgId: string,
  raw: unknown,
  actor: Actor = SYSTEM,
): Promise<{ balance: string; credited: string }> {
  const input = parseInput(TopUpInput, raw);
  await authoriseBilling(deps.store, actor, orgId);
  const org0 = await loadOrg(deps.store, orgId);
  const amount = Money.of(input.amount, org0.currency);
  assertDepositInRange(amount);
  return retryOnConflict(async () => {
    const org = await loadOrg(deps.store, orgId);
    const after = Money.of(org.balance, org.currency).plus(amount);
    const change: Change = {
      type: 'balance',
      orgId,
      from: org.balance,
      to: after.toString(),
      entry: {
        id: `top-up-${input.reference}`,
        orgId,
        date: deps.clock.today(),
        amount: amount.toString(),
        currency: org.currency,
        reason: 'top-up',
        ref: input.reference,
        balanceAfter: after.toString(),
        createdAt: deps.clock.now(),
      },
    };
    try {
      await deps.store.commit([change]);
    } catch (err) {
      const ledger = await deps.store.listLedger(orgId);
      if (ledger.some((e) => e.id === `top-up-${input.reference}`)) {
        throw new ConflictError(`Top-up ${input.reference} was already credited`, 'top_up_duplicate');
      }
      throw err;
    }
    return { balance: after.toString(), credited: amount.toString() };
  });
}
