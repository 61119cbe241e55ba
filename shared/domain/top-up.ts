import { ValidationError } from './errors.ts';
import { Money } from './money.ts';

/** docs/domain.md R-22: each deposit is between 0.1 and 9999 in the organisation's currency. */
export const TOP_UP_MIN = '0.10';
export const TOP_UP_MAX = '9999.00';

/** Refuses a deposit outside the limits, naming them in the deposit's currency. */
export function assertDepositInRange(amount: Money): void {
  if (amount.lt(Money.of(TOP_UP_MIN, amount.currency)) || amount.gt(Money.of(TOP_UP_MAX, amount.currency))) {
    throw new ValidationError(`amount: a deposit must be between ${TOP_UP_MIN} and ${TOP_UP_MAX} ${amount.currency}, got ${amount.toString()}`, 'top_up_out_of_range');
  }
}
