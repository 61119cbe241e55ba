import { InMemoryBillingStore } from '../../../shared/adapters/memory/in-memory-billing-store.ts';
import { billingStoreContract } from '../../contract/billing-store.contract.ts';

billingStoreContract('in memory', async () => new InMemoryBillingStore());
