import { expect } from 'vitest';
import { logicalIdOf, resourcesOf, type SynthesizedApp } from './synth-billing-app.ts';

type Json = unknown;

/**
 * Human names for the resources a template refers to, so expectations read
 * `table/index/gsi1` instead of a Fn::GetStackOutput of a logical id.
 */
export function namer(s: SynthesizedApp) {
  const { stateful, stateless } = s;
  const names = new Map<string, string>([
    [logicalIdOf(stateful, stateful.table), 'table'],
    [logicalIdOf(stateful, stateful.stripeSecret), 'stripe-secret'],
    [logicalIdOf(stateful, stateful.stripeWebhookSecret), 'stripe-webhook-secret'],
    [logicalIdOf(stateful, stateful.webhookSigningSecret), 'webhook-signing-secret'],
    [logicalIdOf(stateful, stateful.documentsBucket), 'documents-bucket'],
    [logicalIdOf(stateful, stateful.archiveBucket), 'archive-bucket'],
    [logicalIdOf(stateful, stateful.schedulerDlq), 'scheduler-dlq'],
    [logicalIdOf(stateful, stateful.bankImportDlq), 'bank-import-dlq'],
    [logicalIdOf(stateful, stateful.importsDlq), 'imports-dlq'],
    [logicalIdOf(stateful, stateful.mailEventsDlq), 'mail-events-dlq'],
    [logicalIdOf(stateful, stateful.eventsDlq), 'events-dlq'],
    [logicalIdOf(stateless, stateless.alarmTopic), 'alarm-topic'],
    [logicalIdOf(stateless, stateless.eventBus), 'event-bus'],
  ]);
  for (const [name, { queue, dlq }] of Object.entries(stateful.workQueues)) {
    names.set(logicalIdOf(stateful, queue), `${name}-queue`);
    names.set(logicalIdOf(stateful, dlq), `${name}-dlq`);
  }
  for (const [id, fn] of Object.entries(stateless.functions)) {
    names.set(logicalIdOf(stateless, fn.function), `fn:${id}`);
    names.set(logicalIdOf(stateless, fn.logGroup), `log-group:${id}`);
  }
  const outputs = (s.statefulTemplate.toJSON().Outputs ?? {}) as Record<string, { Value: Json; Export?: { Name: string } }>;

  const label = (value: Json): string => {
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) return value.map(label).join(',');
    const v = value as Record<string, Json>;
    if ('Fn::GetStackOutput' in v) {
      const { StackName, OutputName } = v['Fn::GetStackOutput'] as { StackName: string; OutputName: string };
      expect(StackName).toBe(stateful.stackName);
      const output = outputs[OutputName];
      if (!output) throw new Error(`no output ${OutputName} in the stateful stack`);
      return label(output.Value);
    }
    if ('Fn::ImportValue' in v) {
      const exported = Object.values(outputs).find((o) => o.Export?.Name === v['Fn::ImportValue']);
      if (!exported) throw new Error(`no export ${String(v['Fn::ImportValue'])} in the stateful stack`);
      return label(exported.Value);
    }
    if ('Fn::GetAtt' in v) {
      const [id, attribute] = v['Fn::GetAtt'] as [string, string];
      return `${names.get(id) ?? id}.${attribute}`;
    }
    if ('Ref' in v) return `${names.get(v.Ref as string) ?? (v.Ref as string)}.Ref`;
    if ('Fn::Join' in v) {
      const [separator, parts] = v['Fn::Join'] as [string, Json[]];
      return parts.map(label).join(separator);
    }
    throw new Error(`cannot name ${JSON.stringify(value)}`);
  };
  return label;
}

export type Statement = { Effect: string; Action: string | string[]; Resource: Json; Condition?: Record<string, unknown> };

/** Every (action, resource) pair a role is allowed, with its condition, e.g. `dynamodb:Query table.Arn/index/gsi1`. */
export function permissionsOf(s: SynthesizedApp, roleLogicalId: string, name: (v: Json) => string): string[] {
  const policies = Object.values(resourcesOf(s.statelessTemplate, 'AWS::IAM::Policy')).filter((p) =>
    (p.Properties.Roles as Json[]).some((r) => (r as { Ref?: string }).Ref === roleLogicalId),
  );
  const pairs: string[] = [];
  for (const policy of policies) {
    for (const st of (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement) {
      expect(st.Effect).toBe('Allow');
      const actions = Array.isArray(st.Action) ? st.Action : [st.Action];
      const resources = Array.isArray(st.Resource) ? (st.Resource as Json[]) : [st.Resource];
      const condition = st.Condition ? ` if ${JSON.stringify(st.Condition)}` : '';
      for (const action of actions) for (const resource of resources) pairs.push(`${action} ${name(resource)}${condition}`);
    }
  }
  return pairs.sort();
}

export function functionPermissions(s: SynthesizedApp, id: string, name: (v: Json) => string): string[] {
  return permissionsOf(s, logicalIdOf(s.stateless, s.stateless.functions[id]!.role), name);
}

/**
 * The grants the Lambda service itself uses with a function's role, not the
 * handler: its log group, X-Ray, polling the queue its event source mapping
 * reads (a queue, or the table's stream), and sending to its on-failure
 * destinations. Each is read from the
 * synthesized template (the mapping, the invoke config), not listed by hand,
 * so a grant for a queue the function neither reads nor fails to is still
 * reported as unused.
 */
export function platformPermissions(s: SynthesizedApp, id: string, name: (v: Json) => string): string[] {
  const fnId = logicalIdOf(s.stateless, s.stateless.functions[id]!.function);
  const refersToFn = (v: Json) => JSON.stringify(v).includes(`"${fnId}"`);
  const out = [`logs:CreateLogStream log-group:${id}.Arn`, `logs:PutLogEvents log-group:${id}.Arn`, 'xray:PutTraceSegments *', 'xray:PutTelemetryRecords *'];
  for (const m of Object.values(resourcesOf(s.statelessTemplate, 'AWS::Lambda::EventSourceMapping'))) {
    if (!refersToFn(m.Properties.FunctionName)) continue;
    const source = name(m.Properties.EventSourceArn);
    if (source.endsWith('.StreamArn')) {
      // A stream mapping: Lambda's poller reads the stream, and sends what it gives up on to the mapping's on-failure queue.
      for (const action of ['DescribeStream', 'GetRecords', 'GetShardIterator', 'ListStreams']) out.push(`dynamodb:${action} ${source}`);
      const target = (m.Properties.DestinationConfig as { OnFailure?: { Destination: Json } } | undefined)?.OnFailure?.Destination;
      if (target !== undefined) for (const action of ['SendMessage', 'GetQueueAttributes', 'GetQueueUrl']) out.push(`sqs:${action} ${name(target)}`);
      continue;
    }
    for (const action of ['ReceiveMessage', 'DeleteMessage', 'ChangeMessageVisibility', 'GetQueueAttributes', 'GetQueueUrl']) out.push(`sqs:${action} ${source}`);
  }
  for (const c of Object.values(resourcesOf(s.statelessTemplate, 'AWS::Lambda::EventInvokeConfig'))) {
    if (!refersToFn(c.Properties.FunctionName)) continue;
    const target = (c.Properties.DestinationConfig as { OnFailure?: { Destination: Json } } | undefined)?.OnFailure?.Destination;
    if (target === undefined) continue;
    const queue = name(target);
    for (const action of ['SendMessage', 'GetQueueAttributes', 'GetQueueUrl']) out.push(`sqs:${action} ${queue}`);
  }
  return out;
}
