import type { AuditEntry } from '../../shared/domain/records.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { UnitOfWork } from '../../shared/ports/unit-of-work.ts';
import type { AuditedCall, AuditTrail } from '../http/api-handler.ts';

/**
 * The back-office's audit trail on the billing table (docs/domain.md R-47):
 * an entry `started` before the call acts, replaced by its outcome after.
 * A call that crashed in between keeps its `started` entry, so a change is
 * never without its record.
 */
export function storeAuditTrail(store: UnitOfWork, clock: Clock): AuditTrail {
  const open = new WeakMap<AuditedCall, AuditEntry>();
  return {
    async start(call) {
      const { orgId, ...others } = call.params;
      const target = Object.values(others).join('/');
      const entry: AuditEntry = {
        date: clock.today(),
        id: call.requestId,
        at: clock.now(),
        client: call.client,
        action: call.routeKey,
        status: 'started',
        ...(orgId ? { orgId } : {}),
        ...(target ? { target } : {}),
      };
      await store.commit([{ type: 'audit', entry }]);
      open.set(call, entry);
    },
    async finish(call, outcome) {
      const started = open.get(call);
      if (!started) return;
      const summary = summarise(outcome.result);
      const entry: AuditEntry = {
        ...started,
        status: outcome.status < 400 ? 'done' : 'refused',
        httpStatus: outcome.status,
        finishedAt: clock.now(),
        ...(outcome.code ? { code: outcome.code } : {}),
        ...(summary ? { summary } : {}),
      };
      await store.commit([{ type: 'audit', entry }]);
    },
  };
}

/** A few words on what the call did, read off its answer. */
function summarise(result: unknown): string | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const r = result as Record<string, unknown>;
  if (typeof r.rows === 'number') return `${r.rows} rows: ${String(r.added)} added, ${String(r.unchanged)} unchanged, ${String(r.refused)} refused`;
  if (typeof r.userId === 'string' && typeof r.role === 'string') return `member ${r.userId}: ${r.role}`;
  if (typeof r.removed === 'string') return `removed ${r.removed}`;
  if (typeof r.id === 'string') return `id ${r.id}`;
  return undefined;
}
