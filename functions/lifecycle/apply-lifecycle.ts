import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { applyLifecycle } from '../../shared/use-cases/apply-lifecycle.ts';
import type { BillingDeps } from '../../shared/use-cases/renewal-deps.ts';
import { awsDeps } from '../aws-runtime.ts';
import { parseLifecycleMessage } from '../messages.ts';

export function makeApplyLifecycleHandler(deps: Pick<BillingDeps, 'store' | 'provisioning' | 'clock'>, logFailures = true) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(sqsPartialBatchFailure(logFailures ? {} : { logger: () => {} }))
    .handler(
      async (event) =>
        (await Promise.allSettled(
          event.Records.map((record) => applyLifecycle(deps, parseLifecycleMessage(record.body))),
        )) as unknown as SQSBatchResponse,
    );
}

let cached: ReturnType<typeof makeApplyLifecycleHandler> | undefined;
export const handler = (event: SQSEvent, context: never) => (cached ??= makeApplyLifecycleHandler(awsDeps()))(event, context);
