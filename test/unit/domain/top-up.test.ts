import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../shared/domain/errors.ts';
import { Money } from '../../../shared/domain/money.ts';
import { assertDepositInRange } from '../../../shared/domain/top-up.ts';

// docs/domain.md R-22: "each deposit is between 0.1 and 9999 in the organisation's currency".
describe('deposits to the prepaid balance', () => {
  it('take 0.10 to 9999.00 in CHF or EUR, both ends included', () => {
    for (const currency of ['CHF', 'EUR'] as const) {
      for (const amount of ['0.10', '0.11', '50.00', '9998.99', '9999.00']) {
        expect(() => assertDepositInRange(Money.of(amount, currency))).not.toThrow();
      }
    }
  });

  it('refuse anything below or above, naming the limits and the currency', () => {
    for (const amount of ['0.00', '0.01', '0.09', '9999.01', '10000.00']) {
      let caught: unknown;
      try {
        assertDepositInRange(Money.of(amount, 'EUR'));
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ValidationError);
      expect(caught).toMatchObject({ code: 'top_up_out_of_range', message: `amount: a deposit must be between 0.10 and 9999.00 EUR, got ${amount}` });
    }
  });
});
