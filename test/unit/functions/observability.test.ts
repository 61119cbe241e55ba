import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { lazyHandler } from '../../../functions/entry-points.ts';
import { makeApplyLifecycleHandler } from '../../../functions/lifecycle/apply-lifecycle.ts';
import type { LogSink, MetricName, MetricsSink } from '../../../functions/observability.ts';
import { makeRenewProductHandler } from '../../../functions/renewal/renew-product.ts';
import { aProduct, anOrg, runtime } from '../../support/local-stack.ts';

/** What a handler counted and logged, in order. */
function recorder() {
  const counted: { name: MetricName; value: number; dimensions?: Record<string, string> }[] = [];
  const logged: { message: string; fields: Record<string, unknown> }[] = [];
  const metrics: MetricsSink = {
    count: (name, value = 1, dimensions) => void (value !== 0 && counted.push({ name, value, ...(dimensions ? { dimensions: { ...dimensions } } : {}) })),
  };
  const log: LogSink = { info: (message, fields) => void logged.push({ message, fields }), error: (message, fields) => void logged.push({ message, fields }) };
  return { counted, logged, reporting: { metrics, log } };
}

const record = (messageId: string, body: unknown, receiveCount = '1') =>
  ({ messageId, body: JSON.stringify(body), attributes: { ApproximateReceiveCount: receiveCount } }) as unknown as SQSRecord;
const batch = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

describe('what the deployed consumers report (Powertools metrics and logs)', () => {
  it("counts a night's attempts, payments, failures and the money collected per currency, and logs each product-night with its ids", async () => {
    // Worked by hand: a .ch domain is CHF 13.00 + 8.1 % VAT = 14.05; the first attempt is 14 days before 2026-12-31.
    const rt = await runtime('memory', { today: '2026-12-01' });
    const paying = await anOrg(rt, { id: 'obs-paid', method: 'pm_card_visa' });
    const declined = await anOrg(rt, { id: 'obs-declined', method: 'pm_card_chargeDeclined' });
    await aProduct(rt, 'obs-paid', { id: 'paid-ch', expiry: '2026-12-31', paymentMethodId: paying.method!.id });
    await aProduct(rt, 'obs-declined', { id: 'declined-ch', expiry: '2026-12-31', paymentMethodId: declined.method!.id });
    rt.clock.day = '2026-12-17';
    const { counted, logged, reporting } = recorder();
    const handler = makeRenewProductHandler(rt.deps, false, reporting);
    const res = await handler(
      batch(
        record('m1', { orgId: 'obs-paid', productId: 'paid-ch', night: '2026-12-17' }),
        // Delivered a second time (a retry or a redrive): counted as such, and the product-night is not done twice.
        record('m2', { orgId: 'obs-declined', productId: 'declined-ch', night: '2026-12-17' }, '2'),
      ),
      {} as Context,
    );
    expect(res).toEqual({ batchItemFailures: [] });
    const sorted = [...counted].sort((a, b) => a.name.localeCompare(b.name));
    expect(sorted).toEqual([
      { name: 'CollectedMinorUnits', value: 1405, dimensions: { Currency: 'CHF' } },
      { name: 'Redeliveries', value: 1 },
      { name: 'RenewalsAttempted', value: 1 },
      { name: 'RenewalsAttempted', value: 1 },
      { name: 'RenewalsFailed', value: 1 },
      { name: 'RenewalsPaid', value: 1 },
    ]);
    expect(logged.map((l) => [l.message, l.fields.orgId, l.fields.productId, l.fields.night, l.fields.status]).sort()).toEqual([
      ['product-night', 'obs-declined', 'declined-ch', '2026-12-17', 'done'],
      ['product-night', 'obs-paid', 'paid-ch', '2026-12-17', 'done'],
    ]);

    // The same record again: already processed, nothing counted but the redelivery.
    counted.length = 0;
    await handler(batch(record('m3', { orgId: 'obs-paid', productId: 'paid-ch', night: '2026-12-17' }, '3')), {} as Context);
    expect(counted).toEqual([{ name: 'Redeliveries', value: 1 }]);
  });

  it('counts each lifecycle command by action and result', async () => {
    const rt = await runtime('memory', { today: '2026-12-01' });
    await anOrg(rt, { id: 'obs-block' });
    await aProduct(rt, 'obs-block', { id: 'late-ch', expiry: '2026-12-31', autoRenew: false });
    // domain-ch blocks on its expiry day (block +0): the night of 2026-12-31 blocks it and commands provisioning.
    rt.clock.day = '2026-12-31';
    const night = makeRenewProductHandler(rt.deps, false, recorder().reporting);
    await night(batch(record('n1', { orgId: 'obs-block', productId: 'late-ch', night: '2026-12-31' })), {} as Context);
    const { counted, reporting } = recorder();
    const apply = makeApplyLifecycleHandler(rt.deps, false, reporting);
    const command = { date: '2026-12-31', commandId: 'late-ch#block' };
    await apply(batch(record('l1', command), record('l2', command, '2')), {} as Context);
    expect(
      counted
        .filter((c) => c.name === 'LifecycleCommands')
        .map((c) => c.dimensions!.Result)
        .sort(),
    ).toEqual(['already-applied', 'applied']);
    expect(counted.filter((c) => c.name === 'LifecycleCommands').every((c) => c.dimensions!.Action === 'block')).toBe(true);
  });

  it('wraps every entry point in Powertools middlewares that run outside Lambda too', async () => {
    const handler = lazyHandler(() => async (event: { n: number }) => event.n * 2);
    expect(await handler({ n: 21 }, { functionName: 'test', awsRequestId: 'r1' } as Context)).toBe(42);
  });
});
