import type { Product } from '../domain/product.ts';

/** The provider's systems that actually suspend, resume and delete services. */
export interface Provisioning {
  block(product: Product): Promise<void>;
  unblock(product: Product): Promise<void>;
  /** Deletes the service and its backups for good. */
  terminate(product: Product): Promise<{ backupsDeleted: boolean }>;
}
