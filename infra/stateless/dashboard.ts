import { Duration } from 'aws-cdk-lib';
import type { HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { AlarmStatusWidget, Dashboard, GraphWidget, MathExpression, Metric, TextWidget, type IAlarm, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, SERVICE_DIMENSION } from '../../functions/metric-names.ts';
import type { Wiring } from './wiring.ts';

export interface BillingDashboardProps {
  readonly alarms: IAlarm[];
  readonly apiStage: HttpStage;
}

/** The currencies organisations bill in (shared/domain/organisation.ts). */
const CURRENCIES = ['CHF', 'EUR'] as const;
const LIFECYCLE_ACTIONS = ['block', 'unblock', 'terminate'] as const;

/**
 * One CloudWatch dashboard for the on-call: the night's renewals and what
 * they collected, the lifecycle commands sent to provisioning, redeliveries
 * and dead letters, errors per function, the API's 5xx, and every alarm's
 * state. The engine's figures are the metrics its functions emit
 * (functions/observability.ts), by the same names.
 */
export class BillingDashboard extends Construct {
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, w: Wiring, props: BillingDashboardProps) {
    super(scope, id);
    const engine = (metricName: string, label: string, dimensions: Record<string, string> = {}) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { ...SERVICE_DIMENSION, ...dimensions }, period: Duration.hours(1), statistic: 'Sum', label });
    const queues: [string, IQueue][] = [
      ['renewal', w.data.renewalDlq],
      ['charge', w.data.chargeDlq],
      ['lifecycle', w.data.lifecycleDlq],
      ['settlement', w.data.settlementDlq],
      ['exports', w.data.exportsDlq],
      ['mail', w.data.mailDlq],
      ['mail events', w.data.mailEventsDlq],
      ['events', w.data.eventsDlq],
      ['scheduler', w.data.schedulerDlq],
      ['bank import', w.data.bankImportDlq],
      ['product imports', w.data.importsDlq],
      ['webhooks', w.data.webhookDlq],
    ];
    const graph = (title: string, left: IMetric[], width = 12) => new GraphWidget({ title, left, width, height: 6 });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `billing-${w.stage}`,
      defaultInterval: Duration.days(7),
      widgets: [
        [
          new TextWidget({
            markdown: `# Billing ${w.stage}\nRenewals run from 02:00 (Europe/Zurich); runbook: docs/operations.md. Amounts are the renewals' collections, from the engine's own metrics.`,
            width: 24,
            height: 2,
          }),
        ],
        [
          graph('Renewal payments per hour', [engine(METRIC.renewalsAttempted, 'attempted'), engine(METRIC.renewalsPaid, 'paid'), engine(METRIC.renewalsFailed, 'failed')]),
          graph(
            'Collected by renewals per hour',
            CURRENCIES.map(
              (currency) =>
                new MathExpression({
                  expression: `FILL(m${currency}, 0) / 100`,
                  usingMetrics: { [`m${currency}`]: engine(METRIC.collected, currency, { Currency: currency }) },
                  period: Duration.hours(1),
                  label: currency,
                }),
            ),
          ),
        ],
        [
          graph(
            'Lifecycle commands applied (provisioning)',
            LIFECYCLE_ACTIONS.map((action) => engine(METRIC.lifecycle, action, { Action: action, Result: 'applied' })),
          ),
          graph('Reminders, blocks and terminations by the nights', [
            engine(METRIC.reminders, 'reminders'),
            engine(METRIC.blocked, 'blocked'),
            engine(METRIC.unblocked, 'unblocked'),
            engine(METRIC.terminated, 'terminated'),
          ]),
        ],
        [
          graph('Messages received again (retries, redrives)', [engine(METRIC.redeliveries, 'redeliveries')], 8),
          graph(
            'Dead letters',
            queues.map(([name, q]) => q.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum', label: name })),
            8,
          ),
          graph('HTTP API 5xx', [props.apiStage.metricServerError({ period: Duration.minutes(5), statistic: 'Sum', label: '5xx' })], 8),
        ],
        [
          graph(
            'Function errors',
            Object.entries(w.functions).map(([name, fn]) => fn.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum', label: name })),
            24,
          ),
        ],
        [new AlarmStatusWidget({ title: 'Alarms', alarms: props.alarms, width: 24, height: 6 })],
      ],
    });
  }
}
