import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type Stage, StatefulStack } from './stateful-stack.ts';
import { StatelessStack } from './stateless-stack.ts';
import { stageConfigPath } from './stage-config.ts';

export interface BillingStacks {
  stateful: StatefulStack;
  stateless: StatelessStack;
}

/**
 * Both stacks of a stage, checked by cdk-nag's AwsSolutions rules at synth:
 * an unsuppressed finding is an error annotation, which fails `cdk synth`
 * and `cdk deploy`. The tests build the app through here too.
 */
export function addBillingStacks(app: App, stage: Stage): BillingStacks {
  const tags = { project: 'renewal-billing-engine', stage };
  const stateful = new StatefulStack(app, `Billing-${stage}-Stateful`, {
    stage,
    description: `Renewal billing engine (${stage}): table, bucket, queues and Stripe secret`,
    tags,
  });
  const context = (name: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(name);
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const stateless = new StatelessStack(app, `Billing-${stage}-Stateless`, {
    stage,
    data: stateful,
    jwtIssuer: context('jwtIssuer'),
    jwtAudience: context('jwtAudience'),
    configFile: stageConfigPath(stage, context('config')),
    description: `Renewal billing engine (${stage}): functions, schedules, HTTP API and alarms`,
    tags,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }));
  return { stateful, stateless };
}
