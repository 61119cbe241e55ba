// CDK app entry point (cdk.json: "app": "npx tsx infra/app.ts").
// Select the environment with `-c stage=dev|prod` (default dev).
// The stacks are environment-agnostic: no account/region, no lookups, so
// `cdk synth` needs neither credentials nor network.
import { App } from 'aws-cdk-lib';
import { parseStage, type Stage, StatefulStack } from './stateful-stack.ts';

const app = new App();

let stage: Stage;
try {
  stage = parseStage(app.node.tryGetContext('stage'));
} catch (error) {
  // A one-line message instead of a stack trace; exit() also skips the auto-synth.
  console.error((error as Error).message);
  process.exit(1);
}

new StatefulStack(app, `Billing-${stage}-Stateful`, {
  stage,
  description: `Renewal billing engine (${stage}): table and work queues`,
  tags: { project: 'renewal-billing-engine', stage },
});
