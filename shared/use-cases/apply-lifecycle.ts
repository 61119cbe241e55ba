import { administrators } from '../domain/organisation.ts';
import type { Change } from '../ports/billing-store.ts';
import type { LifecycleMessage } from '../ports/message-queue.ts';
import { loadOrg, loadProduct, retryOnConflict, type BillingDeps } from './renewal-deps.ts';

export type ApplyLifecycleResult = { status: 'applied' | 'already-applied' | 'not-found' };

/**
 * Carries a block, unblock or termination to the provisioning systems.
 *
 * 1. Read the command; an applied one is acknowledged and left alone.
 * 2. Call the provisioning port (its operations are idempotent on its side).
 * 3. Termination: record that backups are gone and notify the organisation's administrators.
 * 4. Mark the command applied, conditioned on it still being pending.
 */
export function applyLifecycle(
  deps: Pick<BillingDeps, 'store' | 'provisioning' | 'clock'>,
  msg: LifecycleMessage,
): Promise<ApplyLifecycleResult> {
  return retryOnConflict(() => applyOnce(deps, msg));
}

async function applyOnce(deps: Pick<BillingDeps, 'store' | 'provisioning' | 'clock'>, msg: LifecycleMessage): Promise<ApplyLifecycleResult> {
  const { store, provisioning, clock } = deps;
  const command = await store.getLifecycleCommand(msg.date, msg.commandId);
  if (!command) return { status: 'not-found' };
  if (command.status === 'applied') return { status: 'already-applied' };
  const product = await loadProduct(store, command.orgId, command.productId);
  const now = clock.now();
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
