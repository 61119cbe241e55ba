import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { CheckoutDeps } from '../../shared/use-cases/checkout/checkout-deps.ts';
import { processGatewayEvent } from '../../shared/use-cases/checkout/gateway-events.ts';
import { awsCheckoutDeps } from '../aws-runtime.ts';
import { parseSettlementMessage } from '../messages.ts';

/** Settlement queue consumer: each stored provider event settles on its own; failed ones come back, then go to the DLQ. */
export function makeSettlePaymentHandler(deps: CheckoutDeps, logFailures = true) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(sqsPartialBatchFailure(logFailures ? {} : { logger: () => {} }))
    .handler(
      async (event) =>
        (await Promise.allSettled(
          event.Records.map((record) => processGatewayEvent(deps, parseSettlementMessage(record.body))),
        )) as unknown as SQSBatchResponse,
    );
}

let cached: ReturnType<typeof makeSettlePaymentHandler> | undefined;
export const handler = (event: SQSEvent, context: never) => (cached ??= makeSettlePaymentHandler(awsCheckoutDeps()))(event, context);
