import type { Product } from '../../domain/product.ts';
import type { Provisioning } from '../../ports/provisioning.ts';

/** Local provisioning: records what would be suspended, resumed or deleted. */
export class RecordingProvisioning implements Provisioning {
  readonly calls: { action: 'block' | 'unblock' | 'terminate'; orgId: string; productId: string }[] = [];

  async block(p: Product): Promise<void> {
    this.calls.push({ action: 'block', orgId: p.orgId, productId: p.id });
  }
  async unblock(p: Product): Promise<void> {
    this.calls.push({ action: 'unblock', orgId: p.orgId, productId: p.id });
  }
  async terminate(p: Product): Promise<{ backupsDeleted: boolean }> {
    this.calls.push({ action: 'terminate', orgId: p.orgId, productId: p.id });
    return { backupsDeleted: true };
  }
}
