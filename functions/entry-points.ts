import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

/**
 * A Lambda entry point that builds its handler on the first invocation: the
 * dependencies (clients, environment) are read once per container, and
 * importing the module costs nothing, so tests import it freely.
 */
export function lazyHandler<E, C, R>(make: () => (event: E, context: C) => R): (event: E, context: C) => R {
  let built: ((event: E, context: C) => R) | undefined;
  return (event, context) => (built ??= make())(event, context);
}

/**
 * An SQS consumer: each record is parsed and handled on its own, so one bad
 * or failing record never fails the others; the failed ones come back
 * (partial batch response) and, after the queue's receives, go to its DLQ.
 */
export function sqsConsumer(work: (body: string) => Promise<unknown>, logFailures = true) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(sqsPartialBatchFailure(logFailures ? {} : { logger: () => {} }))
    .handler(async (event) => {
      // `async` makes a parse error a rejection of that record alone, not a throw out of the batch.
      const settled = await Promise.allSettled(event.Records.map(async (record) => work(record.body)));
      // The middleware turns the settled results, one per record in order, into batchItemFailures.
      return settled as unknown as SQSBatchResponse;
    });
}
