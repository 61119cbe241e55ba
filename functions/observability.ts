import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { Money } from '../shared/domain/money.ts';
import type { ApplyLifecycleResult } from '../shared/use-cases/apply-lifecycle.ts';
import type { RenewProductResult } from '../shared/use-cases/renew-product.ts';
import { METRIC, METRICS_NAMESPACE, SERVICE, type MetricName } from './metric-names.ts';

export type { MetricName };

export { METRIC, METRICS_NAMESPACE };

/*
 * Powertools for AWS Lambda on every deployed function: JSON logs with the
 * invocation's context and the business ids (organisation, product,
 * checkout, night), and metrics in CloudWatch's embedded metric format.
 * Tests build handlers without it; the wiring is in `lazyHandler`, through
 * which every entry point goes. Traces are Lambda's own (active tracing: the
 * invocation, its initialisation and errors, in X-Ray): Powertools' Tracer
 * would add a subsegment per AWS SDK and HTTPS call at the price of the X-Ray
 * SDK in every bundle (about 115 KiB each, and its start-up), which the
 * bundle budget of docs/operations.md does not leave room for.
 */

/** Where a handler counts what it did; Powertools' Metrics in AWS, a recorder in tests. */
export interface MetricsSink {
  count(name: MetricName, value?: number, dimensions?: Readonly<Record<string, string>>): void;
}

/** Correlation ids a handler adds to its log lines. */
export interface LogSink {
  info(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

interface Observability {
  logger: Logger;
  metrics: Metrics;
}

let built: Observability | undefined;

/** One logger and metrics buffer per container, made on first use (importing costs nothing). */
export function observability(): Observability {
  if (built) return built;
  const logger = new Logger({ serviceName: SERVICE });
  // Most invocations count nothing (an API read, an empty batch): that is no warning worth a log line each time.
  const metricsLogger = {
    debug: (...a: unknown[]) => logger.debug(String(a[0])),
    info: (...a: unknown[]) => logger.info(String(a[0])),
    warn: (...a: unknown[]) => (String(a[0]).startsWith('No application metrics to publish') ? undefined : logger.warn(String(a[0]))),
    error: (...a: unknown[]) => logger.error(String(a[0])),
  };
  return (built = {
    logger,
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE, logger: metricsLogger }),
  });
}

export function metricsSink(metrics: Metrics = observability().metrics): MetricsSink {
  return {
    count(name, value = 1, dimensions) {
      if (value === 0) return;
      if (!dimensions || Object.keys(dimensions).length === 0) {
        metrics.addMetric(name, MetricUnit.Count, value);
        return;
      }
      // A dimensioned figure goes in its own EMF document, so its dimensions never leak onto the others.
      const single = metrics.singleMetric();
      for (const [k, v] of Object.entries(dimensions)) single.addDimension(k, v);
      single.addMetric(name, MetricUnit.Count, value);
    },
  };
}

export function logSink(logger: Logger = observability().logger): LogSink {
  return {
    info: (message, fields) => logger.info(message, fields),
    error: (message, fields) => logger.error(message, fields),
  };
}

/** The handler with Powertools' middlewares: context in every log line, metrics flushed after each invocation. */
export function observed<E, R>(handler: (event: E, context: Context) => R | Promise<R>) {
  const { logger, metrics } = observability();
  return middy(handler as (event: E, context: Context) => Promise<R>)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}

/** What one product-night did, counted: attempts and their outcome, the money collected per currency, and the lifecycle steps. */
export function countRenewal(sink: MetricsSink, result: RenewProductResult): void {
  if (result.status !== 'done') return;
  const o = result.outcome;
  if (o.attempted) sink.count(METRIC.renewalsAttempted);
  if (o.paid) sink.count(METRIC.renewalsPaid);
  if (o.failed) sink.count(METRIC.renewalsFailed);
  if (o.paid) sink.count(METRIC.collected, Money.of(o.collected, o.currency).toMinorUnits(), { Currency: o.currency });
  if (o.reminders > 0) sink.count(METRIC.reminders, o.reminders);
  if (o.blocked) sink.count(METRIC.blocked);
  if (o.unblocked) sink.count(METRIC.unblocked);
  if (o.terminated) sink.count(METRIC.terminated);
}

export function countLifecycle(sink: MetricsSink, action: string, result: ApplyLifecycleResult): void {
  sink.count(METRIC.lifecycle, 1, { Action: action, Result: result.status });
}
