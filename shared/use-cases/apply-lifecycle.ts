import { addDays, type IsoDate } from '../domain/calendar.ts';
import { administrators } from '../domain/organisation.ts';
import type { PendingLifecycleRef } from '../domain/records.ts';
import type { Change } from '../ports/unit-of-work.ts';
import type { LifecycleMessage } from '../ports/message-queue.ts';
import { loadOrg, loadProduct, retryOnConflict, type BillingDeps } from './renewal-deps.ts';

export type ApplyLifecycleResult = { status: 'applied' | 'already-applied' | 'not-found' | 'skipped-stale' };

/**
 * Carries a block, unblock or termination to the provisioning systems.
 *
 * 1. Read the command; an applied one is acknowledged and left alone, and
 *    one the product has moved past (blocked, then paid) is recorded as skipped.
 * 2. Call the provisioning port (its operations are idempotent on its side).
 * 3. Termination: record that backups are gone and notify the organisation's administrators.
 * 4. Mark the command applied, conditioned on it still being pending.
 */
export function applyLifecycle(deps: Pick<BillingDeps, 'store' | 'provisioning' | 'clock'>, msg: LifecycleMessage): Promise<ApplyLifecycleResult> {
  return retryOnConflict(() => applyOnce(deps, msg));
}

async function applyOnce(deps: Pick<BillingDeps, 'store' | 'provisioning' | 'clock'>, msg: LifecycleMessage): Promise<ApplyLifecycleResult> {
  const { store, provisioning, clock } = deps;
  const command = await store.getLifecycleCommand(msg.date, msg.commandId);
  if (!command) return { status: 'not-found' };
  if (command.status === 'applied') return { status: 'already-applied' };
  const product = await loadProduct(store, command.orgId, command.productId);
  const now = clock.now();
  // Commands can arrive in any order (a block and the unblock of the same night): provisioning
  // follows the product's state now, so a command the product has moved past is recorded, not applied.
  const wanted = { block: 'blocked', unblock: 'active', terminate: 'terminated' } as const;
  if (product.status !== wanted[command.action]) {
    await store.commit([{ type: 'lifecycle', command: { ...command, status: 'applied', appliedAt: now, skipped: `product is ${product.status}` }, expectedStatus: 'pending' }]);
    return { status: 'skipped-stale' };
  }
  const changes: Change[] = [{ type: 'lifecycle', command: { ...command, status: 'applied', appliedAt: now }, expectedStatus: 'pending' }];

  switch (command.action) {
    case 'block':
      await provisioning.block(product);
      break;
    case 'unblock':
      await provisioning.unblock(product);
      break;
    case 'terminate': {
      const { backupsDeleted } = await provisioning.terminate(product);
      changes[0] = { type: 'lifecycle', command: { ...command, status: 'applied', appliedAt: now, backupsDeleted }, expectedStatus: 'pending' };
      if (backupsDeleted && !product.backupsDeletedAt) {
        changes.push({ type: 'product', product: { ...product, backupsDeletedAt: now, version: product.version + 1 }, expectedVersion: product.version });
      }
      const org = await loadOrg(store, command.orgId);
      const admins = administrators(await store.listMembers(org.id));
      if (admins.length > 0) {
        changes.push({
          type: 'email',
          email: {
            id: `${product.id}#product-terminated`,
            date: command.date,
            orgId: org.id,
            productId: product.id,
            to: admins.map((a) => a.email),
            template: 'product-terminated',
            data: { product: product.name, productId: product.id, expiry: product.expiry, backupsDeleted: String(backupsDeleted) },
            createdAt: now,
          },
        });
      }
      break;
    }
  }
  await store.commit(changes);
  return { status: 'applied' };
}

/** How far back the nightly sweep looks for commands that were recorded but never delivered. */
export const LIFECYCLE_SWEEP_DAYS = 7;

/**
 * A command is recorded in the same transaction as the payment or the
 * non-payment step, then queued; a worker that dies between the two leaves it
 * pending. The nightly sweep queues again every command still pending from
 * the previous nights (applying one is idempotent), so none is lost.
 */
export async function republishPendingLifecycle(deps: Pick<BillingDeps, 'store' | 'lifecycleQueue'>, today: IsoDate, days = LIFECYCLE_SWEEP_DAYS): Promise<number> {
  // Tonight's commands are still on their way through the queue: the sweep looks at earlier nights only.
  return send(deps, await deps.store.listPendingLifecycle(addDays(today, -days), addDays(today, -1)));
}

async function send(deps: Pick<BillingDeps, 'lifecycleQueue'>, pending: PendingLifecycleRef[]): Promise<number> {
  if (pending.length > 0) await deps.lifecycleQueue.send(pending.map((c) => ({ date: c.date, commandId: c.id })));
  return pending.length;
}

/** How long a freshly committed command is left to the worker that committed it before the sweep sends it too. */
export const LIFECYCLE_SWEEP_GRACE_SECONDS = 120;

/**
 * The frequent sweep (every 5 minutes in AWS, after each command locally):
 * lifecycle commands of today and yesterday still pending a little after they
 * were committed are sent again. A worker that committed a payment and died
 * before queueing its `unblock` leaves the customer suspended only until the
 * next sweep, not until the next night. Applying a command twice is harmless:
 * the second delivery finds it applied.
 */
export async function sweepLifecycle(deps: Pick<BillingDeps, 'store' | 'lifecycleQueue' | 'clock'>, graceSeconds = LIFECYCLE_SWEEP_GRACE_SECONDS): Promise<number> {
  const today = deps.clock.today();
  const cutoff = Date.parse(deps.clock.now()) - graceSeconds * 1000;
  const pending = await deps.store.listPendingLifecycle(addDays(today, -1), today);
  return send(
    deps,
    pending.filter((c) => Date.parse(c.createdAt) <= cutoff),
  );
}
