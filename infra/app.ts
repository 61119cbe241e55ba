// CDK app entry point (cdk.json: "app": "npx tsx infra/app.ts").
// Select the environment with `-c stage=dev|prod` (default dev); the JWT
// issuer and audience are the stateless stack's parameters (JwtIssuer,
// JwtAudience), defaulted from `-c jwtIssuer=... -c jwtAudience=a,b`.
// The stacks are environment-agnostic: no account/region, no lookups, and
// functions are bundled with the local esbuild, so `cdk synth` needs neither
// credentials, network nor Docker.
import { App } from 'aws-cdk-lib';
import { addBillingStacks } from './billing-app.ts';
import { parseStage, type Stage } from './stateful-stack.ts';

const app = new App();

let stage: Stage;
try {
  stage = parseStage(app.node.tryGetContext('stage'));
} catch (error) {
  // A one-line message instead of a stack trace; exit() also skips the auto-synth.
  console.error((error as Error).message);
  process.exit(1);
}

addBillingStacks(app, stage);
