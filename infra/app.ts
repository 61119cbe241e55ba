// CDK app entry point (cdk.json: "app": "npx tsx infra/app.ts").
// Select the environment with `-c stage=dev|prod` (default dev); the JWT
// issuer and audience are the stateless stack's parameters (JwtIssuer,
// JwtAudience), defaulted from `-c jwtIssuer=... -c jwtAudience=a,b`.
// The stacks are environment-agnostic: no account/region, no lookups, and
// functions are bundled with the local esbuild, so `cdk synth` needs neither
// credentials, network nor Docker. The stage's configuration file is
// `-c config=FILE`, else config/<stage>.yaml (dev falls back to the sample).
import { App } from 'aws-cdk-lib';
import { addBillingStacks } from './billing-app.ts';
import { parseStage, type Stage } from './stateful-stack.ts';

const app = new App();

try {
  const stage: Stage = parseStage(app.node.tryGetContext('stage'));
  addBillingStacks(app, stage);
} catch (error) {
  // The message (a configuration's problems, one per line) instead of a stack trace; exit() also skips the auto-synth.
  console.error((error as Error).message);
  process.exit(1);
}
