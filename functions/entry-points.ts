import middy from '@middy/core';
import sqsPartialBatchFailure from '@middy/sqs-partial-batch-failure';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { METRIC, observed, type MetricsSink } from './observability.ts';

/**
 * A Lambda entry point that builds its handler on the first invocation: the
 * dependencies (clients, environment) are read once per container, and
 * importing the module costs nothing, so tests import it freely. Every
 * deployed handler is observed (functions/observability.ts): logged
 * with its context, its metrics flushed after each invocation.
 */
export function lazyHandler<E, C, R>(make: () => (event: E, context: C) => R): (event: E, context: C) => R {
  let built: ((event: E, context: C) => R) | undefined;
  return (event, context) => (built ??= observed(make() as unknown as (event: E, context: Context) => R) as unknown as (event: E, context: C) => R)(event, context);
}

/**
 * An SQS consumer: each record is parsed and handled on its own, so one bad
 * or failing record never fails the others; the failed ones come back
 * (partial batch response) and, after the queue's receives, go to its DLQ.
 */
export function sqsConsumer(work: (body: string) => Promise<unknown>, logFailures = true, metrics?: MetricsSink) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(sqsPartialBatchFailure(logFailures ? {} : { logger: () => {} }))
    .handler(async (event) => {
      // A record received before (a failed try, or redriven from the dead-letter queue) is counted: a rising count is an outage somewhere.
      const again = event.Records.filter((r) => Number(r.attributes?.ApproximateReceiveCount ?? '1') > 1).length;
      metrics?.count(METRIC.redeliveries, again);
      // `async` makes a parse error a rejection of that record alone, not a throw out of the batch.
      const settled = await Promise.allSettled(event.Records.map(async (record) => work(record.body)));
      // The middleware turns the settled results, one per record in order, into batchItemFailures.
      return settled as unknown as SQSBatchResponse;
    });
}
