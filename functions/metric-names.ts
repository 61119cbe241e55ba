/*
 * The names of the engine's own CloudWatch metrics, shared by the functions
 * that emit them (observability.ts) and the dashboard and alarms that read
 * them (infra/stateless/observability.ts): one list, so a renamed metric
 * cannot leave an alarm watching nothing. No imports: CDK reads it too.
 */

/** CloudWatch namespace of the engine's own metrics: the dashboard and alarms (infra/stateless/observability.ts) read these names. */
export const METRICS_NAMESPACE = 'Billing';
export const SERVICE = 'billing';

export const METRIC = {
  renewalsAttempted: 'RenewalsAttempted',
  renewalsPaid: 'RenewalsPaid',
  renewalsFailed: 'RenewalsFailed',
  /** Amounts collected by renewals, in minor units (an integer, exact), with the currency as dimension. */
  collected: 'CollectedMinorUnits',
  reminders: 'RemindersSent',
  blocked: 'ProductsBlocked',
  unblocked: 'ProductsUnblocked',
  terminated: 'ProductsTerminated',
  /** Lifecycle commands carried to provisioning, with the result as dimension. */
  lifecycle: 'LifecycleCommands',
  /** Queue messages received more than once: retries, and redrives from a dead-letter queue. */
  redeliveries: 'Redeliveries',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** Powertools adds the service to every metric's dimensions. */
export const SERVICE_DIMENSION = { service: SERVICE } as const;
