import { Duration } from 'aws-cdk-lib';
import type { HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, MathExpression, Metric, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { BillingFunction } from '../billing-function.ts';
import { METRIC, METRICS_NAMESPACE, SERVICE_DIMENSION } from '../../functions/metric-names.ts';
import { NIGHT_BACKLOG_ALARM_AGE, RENEWAL_FAILURE_ALARM } from './settings.ts';
import type { Wiring } from './wiring.ts';

export interface AlarmsProps {
  readonly planNight: BillingFunction;
  readonly nightlyCheckouts: BillingFunction;
  readonly apiStage: HttpStage;
}

/** The alarms, on one topic: dead letters, every function's errors and throttles, a night that did not finish, HTTP 5xx. */
export class Alarms extends Construct {
  public readonly topic: Topic;
  /** Every alarm here, for the dashboard's status board. */
  public readonly all: Alarm[] = [];

  constructor(scope: Construct, id: string, w: Wiring, props: AlarmsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'AlarmTopic', { displayName: `Billing ${w.stage} alarms`, enforceSSL: true });
    const alarm = (
      id: string,
      metric: IMetric,
      threshold: number,
      description: string,
      options: { missing?: TreatMissingData; periods?: number; comparison?: ComparisonOperator } = {},
    ) => {
      const created = new Alarm(this, id, {
        metric,
        threshold,
        evaluationPeriods: options.periods ?? 1,
        datapointsToAlarm: options.periods ?? 1,
        comparisonOperator: options.comparison ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: options.missing ?? TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(new SnsAction(this.topic));
      this.all.push(created);
      return created;
    };

    const dlqs: [string, IQueue][] = [
      ['Renewal', w.data.renewalDlq],
      ['Charge', w.data.chargeDlq],
      ['Lifecycle', w.data.lifecycleDlq],
      ['Settlement', w.data.settlementDlq],
      ['Exports', w.data.exportsDlq],
      ['Mail', w.data.mailDlq],
      ['MailEvents', w.data.mailEventsDlq],
      ['Events', w.data.eventsDlq],
      ['Scheduler', w.data.schedulerDlq],
      ['BankImport', w.data.bankImportDlq],
      ['Imports', w.data.importsDlq],
      ['Webhook', w.data.webhookDlq],
    ];
    for (const [name, dlq] of dlqs) {
      alarm(
        `${name}DlqDepthAlarm`,
        dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
        1,
        `Messages are parked on the ${name} dead-letter queue`,
      );
    }

    for (const [name, fn] of Object.entries(w.functions)) {
      alarm(`${name}ErrorsAlarm`, fn.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), 1, `${name} failed (function errors)`);
      alarm(`${name}ThrottlesAlarm`, fn.function.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }), 1, `${name} was throttled`);
    }

    // The night did not finish: no successful plan-night (or checkout chores) run in 24 hours,
    // or renewal or charge messages still waiting hours after the night began.
    for (const [name, fn] of [
      ['PlanNight', props.planNight],
      ['NightlyCheckouts', props.nightlyCheckouts],
    ] as const) {
      const successes = new MathExpression({
        expression: 'FILL(invocations, 0) - FILL(errors, 0)',
        usingMetrics: {
          invocations: fn.function.metricInvocations({ period: Duration.hours(1), statistic: 'Sum' }),
          errors: fn.function.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }),
        },
        period: Duration.hours(1),
        label: `${name} successful runs`,
      });
      alarm(`${name}NotFinishedAlarm`, successes, 1, `No successful ${name} run in the last 24 hours: the nightly run did not finish`, {
        comparison: ComparisonOperator.LESS_THAN_THRESHOLD,
        periods: 24,
        missing: TreatMissingData.BREACHING,
      });
    }
    for (const [name, queue] of [
      ['Renewal', w.data.renewalQueue],
      ['Charge', w.data.chargeQueue],
    ] as const) {
      alarm(
        `${name}BacklogAlarm`,
        queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
        NIGHT_BACKLOG_ALARM_AGE.toSeconds(),
        `${name} messages older than ${NIGHT_BACKLOG_ALARM_AGE.toHours()} hours: the night's renewals are not finishing`,
      );
    }
    // SES reviews an account from a 5 % bounce rate or a 0.1 % complaint rate and may pause its sending from 10 % / 0.5 %:
    // the on-call hears of it first. The rates are the account's, published by SES (reputation metrics).
    for (const [name, metricName, threshold] of [
      ['MailBounceRate', 'Reputation.BounceRate', 0.05],
      ['MailComplaintRate', 'Reputation.ComplaintRate', 0.001],
    ] as const) {
      alarm(
        `${name}Alarm`,
        new Metric({ namespace: 'AWS/SES', metricName, period: Duration.hours(1), statistic: 'Maximum' }),
        threshold,
        `SES ${metricName} reached ${threshold * 100} %: clean the billing contacts before SES pauses sending`,
      );
    }
    // A spike of failed renewal payments (an expired batch of cards, the provider refusing, a bug in pricing):
    // the share of failed attempts in an hour, once enough were made for a share to mean something.
    const { minAttempts, percent } = RENEWAL_FAILURE_ALARM;
    const renewals = (metricName: string) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { ...SERVICE_DIMENSION }, period: Duration.hours(1), statistic: 'Sum' });
    alarm(
      'RenewalFailureSpikeAlarm',
      new MathExpression({
        expression: `IF(FILL(attempted, 0) >= ${minAttempts}, 100 * FILL(failed, 0) / attempted, 0)`,
        usingMetrics: { attempted: renewals(METRIC.renewalsAttempted), failed: renewals(METRIC.renewalsFailed) },
        period: Duration.hours(1),
        label: 'Failed renewal payments (%)',
      }),
      percent,
      `At least ${percent} % of an hour's renewal payments failed (of ${minAttempts} or more attempts): look at the payment provider and the failure codes`,
    );
    // HTTP handlers answer errors with a 500 themselves, so function errors do not show them.
    alarm('HttpApi5xxAlarm', props.apiStage.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }), 5, 'The HTTP API answered 5xx');
  }
}
