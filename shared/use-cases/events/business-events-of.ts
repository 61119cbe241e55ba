import { eventTypeName, type BusinessEvent, type BusinessEventData, type BusinessEventType } from '../../domain/business-events.ts';
import type { Change } from '../../ports/unit-of-work.ts';

function envelope<T extends BusinessEventType>(type: T, id: string, subject: string, time: string, data: BusinessEventData[T]): BusinessEvent {
  return {
    specversion: '1.0',
    id: `${type}:${id}`,
    source: 'billing-engine',
    type: eventTypeName(type),
    subject,
    time,
    datacontenttype: 'application/json',
    data,
  } as BusinessEvent;
}

/**
 * The facts a commit records, as events. Each is read off a change that
 * happens once per fact (an invoice is written once; a lifecycle command
 * is marked applied once; a checkout turns paid once; an attempt fails
 * once), so no event needs a state the commit does not carry.
 */
export function businessEventsOf(changes: readonly Change[], now: string): BusinessEvent[] {
  const events: BusinessEvent[] = [];
  const backupsDeleted = new Set(changes.flatMap((c) => (c.type === 'product' && c.product.backupsDeletedAt ? [`${c.product.orgId}/${c.product.id}`] : [])));
  for (const c of changes) {
    switch (c.type) {
      case 'invoice': {
        const inv = c.invoice;
        const productIds = [...new Set(inv.lines.flatMap((l) => (l.productId ? [l.productId] : [])))];
        events.push(
          envelope('invoice.issued', inv.number, `orgs/${inv.orgId}/invoices/${inv.number}`, now, {
            orgId: inv.orgId,
            number: inv.number,
            series: inv.series,
            issueDate: inv.issueDate,
            currency: inv.currency,
            totalNet: inv.totalNet,
            totalVat: inv.totalVat,
            total: inv.total,
            productIds,
          }),
        );
        // A final invoice is what renews: each product line names the period bought.
        if (inv.series === 'INV') {
          for (const line of inv.lines) {
            if (!line.productId || !line.periodFrom || !line.periodTo) continue;
            events.push(
              envelope('product.renewed', `${inv.number}/${line.productId}/${line.periodFrom}`, `orgs/${inv.orgId}/products/${line.productId}`, now, {
                orgId: inv.orgId,
                productId: line.productId,
                periodFrom: line.periodFrom,
                periodTo: line.periodTo,
                invoiceNumber: inv.number,
                currency: inv.currency,
                gross: line.gross,
              }),
            );
          }
        }
        break;
      }
      case 'lifecycle': {
        const cmd = c.command;
        if (cmd.status !== 'applied' || cmd.skipped || c.expectedStatus !== 'pending') break;
        const subject = `orgs/${cmd.orgId}/products/${cmd.productId}`;
        const base = { orgId: cmd.orgId, productId: cmd.productId, date: cmd.date };
        const at = cmd.appliedAt ?? now;
        if (cmd.action === 'block') events.push(envelope('product.blocked', `${cmd.date}/${cmd.id}`, subject, at, base));
        else if (cmd.action === 'unblock') events.push(envelope('product.unblocked', `${cmd.date}/${cmd.id}`, subject, at, base));
        else
          events.push(
            envelope('product.terminated', `${cmd.date}/${cmd.id}`, subject, at, {
              ...base,
              backupsDeleted: cmd.backupsDeleted ?? backupsDeleted.has(`${cmd.orgId}/${cmd.productId}`),
            }),
          );
        break;
      }
      case 'attempt': {
        const a = c.attempt;
        if (a.status !== 'failed') break;
        events.push(
          envelope('payment.failed', a.id, `orgs/${a.orgId}/products/${a.productId}`, now, {
            orgId: a.orgId,
            productId: a.productId,
            attemptId: a.id,
            night: a.night,
            attempt: a.attempt,
            currency: a.currency,
            amount: a.chargePart,
            reason: a.failureCode ?? 'payment_failed',
          }),
        );
        break;
      }
      case 'checkout': {
        const co = c.checkout;
        if (co.status !== 'paid' || c.expected?.status === 'paid') break;
        events.push(
          envelope('checkout.paid', `${co.orgId}/${co.id}`, `orgs/${co.orgId}/checkouts/${co.id}`, co.settledAt ?? now, {
            orgId: co.orgId,
            checkoutId: co.id,
            purpose: co.purpose,
            method: co.method,
            currency: co.currency,
            total: co.total,
            productIds: co.items.map((i) => i.productId),
            ...(co.invoiceNumber ? { invoiceNumber: co.invoiceNumber } : {}),
          }),
        );
        break;
      }
      default:
        break;
    }
  }
  return events;
}
