import { Metrics } from '@aws-lambda-powertools/metrics';
import { countRenewal, metricsSink, METRICS_NAMESPACE } from '../../functions/observability.ts';
import type { NightOutcome } from '../../shared/domain/records.ts';

export interface EmittedMetric {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  value: number;
}

/**
 * Runs product-night outcomes through the functions' metrics sink into
 * Powertools' real Metrics, and reads back the EMF documents it writes, as
 * CloudWatch would parse them: what the dashboard and alarms must name.
 */
export function emittedMetrics(outcomes: Partial<NightOutcome>[]): EmittedMetric[] {
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const capture = (chunk: string | Uint8Array) => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((l) => l.startsWith('{')),
    );
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  try {
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'billing' });
    const sink = metricsSink(metrics);
    for (const o of outcomes) {
      const outcome: NightOutcome = {
        night: '2026-12-17',
        orgId: 'o',
        productId: 'p',
        currency: 'CHF',
        reminders: 0,
        attempted: false,
        paid: false,
        failed: false,
        collected: '0.00',
        blocked: false,
        unblocked: false,
        terminated: false,
        ...o,
      };
      countRenewal(sink, { status: 'done', outcome });
    }
    metrics.publishStoredMetrics();
  } finally {
    process.stdout.write = write;
  }
  return lines.flatMap((line) => {
    const doc = JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } };
    return doc._aws.CloudWatchMetrics.flatMap((d) =>
      d.Metrics.map((m) => ({
        namespace: d.Namespace,
        name: m.Name,
        dimensions: Object.fromEntries(d.Dimensions[0]!.map((k) => [k, String(doc[k])])),
        value: doc[m.Name] as number,
      })),
    );
  });
}
