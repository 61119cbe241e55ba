import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { addBillingStacks, type BillingStacks } from '../../infra/billing-app.ts';
import type { Stage } from '../../infra/stateful-stack.ts';
import { CDK_CONTEXT } from './cdk-context.ts';

export { CDK_CONTEXT };

export interface SynthesizedApp extends BillingStacks {
  app: App;
  assembly: CloudAssembly;
  statefulTemplate: Template;
  statelessTemplate: Template;
  /** Removes the temporary cloud assembly (bundles included). */
  cleanup: () => void;
}

/**
 * Builds the app exactly as `cdk synth` does (cdk.json context, both stacks,
 * cdk-nag's AwsSolutions checks as a validation plugin) and synthesizes it
 * once. `bundle: false` skips esbuild (CDK's `aws:cdk:bundling-stacks`) for
 * tests that do not look at the bundles. Synthesis throws if cdk-nag
 * reports an unacknowledged finding.
 */
export function synthBillingApp(stage: Stage, options: { bundle: boolean; context?: Record<string, unknown> }): SynthesizedApp {
  const outdir = mkdtempSync(join(tmpdir(), `billing-${stage}-`));
  const app = new App({
    outdir,
    context: {
      ...CDK_CONTEXT,
      stage,
      // As the CLI does: templates name each function's asset directory (aws:asset:path).
      'aws:cdk:enable-asset-metadata': true,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      // Every stage of the tests deploys the sample configuration.
      config: 'config/sample.yaml',
      ...options.context,
    },
  });
  const stacks = addBillingStacks(app, stage);
  const assembly = app.synth();
  const template = (stack: Stack) => Template.fromJSON(assembly.getStackByName(stack.stackName).template as Record<string, unknown>);
  return {
    ...stacks,
    app,
    assembly,
    statefulTemplate: template(stacks.stateful),
    statelessTemplate: template(stacks.stateless),
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

export function logicalIdOf(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

export type CfnResource = {
  Type: string;
  Properties: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
};

export function resourcesOf(template: Template, type: string): Record<string, CfnResource> {
  return template.findResources(type) as Record<string, CfnResource>;
}
