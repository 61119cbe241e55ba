import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { renewProduct } from '../../shared/use-cases/renew-product.ts';
import type { BillingDeps } from '../../shared/use-cases/renewal-deps.ts';
import { awsDeps } from '../aws-runtime.ts';
import { parseRenewalMessage } from '../messages.ts';

/** SQS consumer: each record settles on its own; failed ones come back, then go to the DLQ. */
export function makeRenewProductHandler(deps: BillingDeps, logFailures = true) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(sqsPartialBatchFailure(logFailures ? {} : { logger: () => {} }))
    .handler(
      async (event) =>
        (await Promise.allSettled(
          event.Records.map((record) => renewProduct(deps, parseRenewalMessage(record.body))),
        )) as unknown as SQSBatchResponse,
    );
}

let cached: ReturnType<typeof makeRenewProductHandler> | undefined;
export const handler = (event: SQSEvent, context: never) => (cached ??= makeRenewProductHandler(awsDeps()))(event, context);
