import type { CheckoutDeps } from '../../shared/use-cases/checkout/checkout-deps.ts';
import { processGatewayEvent } from '../../shared/use-cases/checkout/gateway-events.ts';
import { awsCheckoutDeps } from '../aws-runtime.ts';
import { parseSettlementMessage } from '../messages.ts';
import { lazyHandler, sqsConsumer } from '../entry-points.ts';

/** Settlement queue consumer: each stored provider event settles on its own; failed ones come back, then go to the DLQ. */
export function makeSettlePaymentHandler(deps: CheckoutDeps, logFailures = true) {
  return sqsConsumer((body) => processGatewayEvent(deps, parseSettlementMessage(body)), logFailures);
}

export const handler = lazyHandler(() => makeSettlePaymentHandler(awsCheckoutDeps()));
