import { daysBetween, type IsoDate } from '../domain/calendar.ts';
import { NotFoundError } from '../domain/errors.ts';
import { attemptDates, dueActions, nextActionDate, renewalAttemptId, type Product } from '../domain/product.ts';
import type { Change } from '../ports/unit-of-work.ts';
import { emailRecipient, type LifecycleAction, type LifecycleCommand, type NightOutcome, type OutboxEmail } from '../domain/records.ts';
import type { RenewalMessage } from '../ports/message-queue.ts';
import { billingContext } from './manage-partners.ts';
import { commitNumbered } from './numbering.ts';
import { openCheckoutOf, reopenedInvoiceOf } from './checkout/open-checkout.ts';
import { payRenewal } from './pay-renewal.ts';
import { retryOnConflict, typeOf, type BillingDeps } from './renewal-deps.ts';

export type RenewProductResult =
  { status: 'done'; outcome: NightOutcome } | { status: 'skipped'; reason: 'already-processed' | 'nothing-due' | 'not-found' } | { status: 'deferred' };

/**
 * One product's night.
 *
 * 1. Read the product; if this night already processed it, re-publish its
 *    lifecycle commands (the earlier run may have crashed before sending) and stop.
 * 2. Work out what is due: payment attempt, reminder, block, termination;
 *    no attempt while the product is in an open checkout.
 * 3. Attempt due: pay (balance first, then the saved method); paid extends the
 *    expiry, unblocks, and issues the final invoice; failed counts the attempt
 *    and e-mails the customer. When charges run on their own queue and the
 *    balance does not cover it, hand the product to that queue and stop.
 * 4. Still unpaid: the reminder, or the block or termination with its lifecycle command.
 * 5. Commit product, money, invoice, e-mails, commands (and, where it is read, the night's outcome)
 *    in one transaction conditioned on the product's version, so a second
 *    worker or a replayed message cannot apply the night twice.
 * 6. Publish the lifecycle commands.
 */
export async function renewProduct(deps: BillingDeps, msg: RenewalMessage): Promise<RenewProductResult> {
  return retryOnConflict(() => renewOnce(deps, msg));
}

async function renewOnce(deps: BillingDeps, msg: RenewalMessage): Promise<RenewProductResult> {
  const { store, catalogue, clock } = deps;
  const { night } = msg;
  // The product and its organisation in one read: every product-night needs both.
  const fetched = await store.getProductWithOrganisation(msg.orgId, msg.productId, msg.methodId);
  const { product, org: found } = fetched;
  if (!product) return { status: 'skipped', reason: 'not-found' };
  if (product.lastNight && product.lastNight >= night) {
    await republishLifecycle(deps, product, night);
    return { status: 'skipped', reason: 'already-processed' };
  }
  const type = typeOf(catalogue, product);
  if (!found) throw new NotFoundError(`Organisation ${product.orgId} not found`, 'org_not_found');
  const org = found;
  const due = dueActions(product, type, night, org.reminderDaysBefore);
  // One period is bought once: a product the customer is paying in a checkout (waiting for the card or
  // the transfer, or paid and held for an identity check) is paid there, not charged tonight as well.
  // Reminders, blocking and termination still follow the expiry. Only a marked product costs the read.
  const inCheckout = await openCheckoutOf(store, product);
  // Likewise a period a bank reversal left owed on its invoice: that invoice is what the customer pays.
  const reopened = await reopenedInvoiceOf(store, product);
  if (inCheckout || reopened) due.delete('attempt');
  if (due.size === 0 && (product.nextActionDate ?? '9999') > night) return { status: 'skipped', reason: 'nothing-due' };

  const now = clock.now();
  const changes: Change[] = [];
  const emails: OutboxEmail[] = [];
  const commands: LifecycleCommand[] = [];
  const outcome: NightOutcome = {
    night,
    orgId: org.id,
    productId: product.id,
    currency: org.currency,
    reminders: 0,
    attempted: false,
    paid: false,
    failed: false,
    collected: '0.00',
    blocked: false,
    unblocked: false,
    terminated: false,
  };
  const email = (template: OutboxEmail['template'], data: Record<string, string>) =>
    emails.push({
      id: `${product.id}#${template}`,
      date: night,
      orgId: org.id,
      productId: product.id,
      to: org.billingContacts,
      template,
      data: { product: product.name, productId: product.id, expiry: product.expiry, ...data },
      recipient: emailRecipient(org),
      createdAt: now,
    });
  const command = (action: LifecycleAction) =>
    commands.push({ id: `${product.id}#${action}`, date: night, orgId: org.id, productId: product.id, action, status: 'pending', createdAt: now });

  let next: Product = { ...product };
  if (due.has('attempt')) {
    outcome.attempted = true;
    // A client that lets its partner be invoiced is paid from the partner's balance and renewal method.
    const { payer, discountPercent } = await billingContext(store, org);
    const methodId = payer.id === org.id ? product.paymentMethodId : payer.partner?.renewalMethodId;
    const deferTo = deps.charges.mode === 'deferred' ? deps.charges.queue : undefined;
    // Deferred, the charge queue's worker reads the method; a message from there names it, so it came with the product.
    const prefetched = methodId && fetched.method?.id === methodId && payer.id === org.id ? fetched.method : undefined;
    const saved = prefetched ?? (methodId && !deferTo ? await store.getPaymentMethod(payer.id, methodId) : undefined);
    // A method removed at the provider cannot be charged: the balance alone pays, or the attempt fails.
    const method = saved && !saved.detachedAt ? saved : undefined;
    const attemptId = renewalAttemptId(product);
    const paid = await payRenewal(deps, {
      org: payer,
      ...(payer.id !== org.id ? { client: org } : {}),
      ...(discountPercent ? { discountPercent } : {}),
      product,
      type,
      night,
      periodMonths: product.periodMonths,
      attemptId,
      ...(method ? { method } : {}),
      // The product names its pending attempt (pay-renewal's hold): no mark, no attempt to read.
      ...(product.pendingAttemptId === attemptId ? {} : { knownAttempt: null }),
      deferCharge: deferTo !== undefined,
      ...(deferTo && methodId && !saved ? { deferToMethod: methodId } : {}),
      // Numbered by commitNumbered below.
      numberAtCommit: true,
      ...(msg.chfRate !== undefined ? { chfRate: msg.chfRate } : {}),
    });
    if (paid.kind === 'deferred') {
      // Nothing was written: the charge queue's worker runs this same night for the product.
      await deferTo?.send([{ ...msg, ...(methodId && payer.id === org.id ? { methodId } : {}) }]);
      return { status: 'deferred' };
    }
    changes.push(...paid.changes);
    // Paid or failed, the attempt the product named is settled by these changes.
    if (next.pendingAttemptId === attemptId) delete next.pendingAttemptId;
    if (paid.kind === 'paid') {
      outcome.paid = true;
      outcome.collected = paid.collected.toString();
      next = paid.product;
      if (product.status === 'blocked') {
        outcome.unblocked = true;
        command('unblock');
      }
      email('renewal-paid', { invoice: paid.invoice.number, amount: paid.invoice.total, currency: org.currency, newExpiry: next.expiry });
    } else {
      outcome.failed = true;
      next.failedAttempts = product.failedAttempts + 1;
      if (paid.requiresCustomer) {
        // The bank wants the customer: retrying off-session would only fail again.
        next.autoRenewHaltedFor = product.expiry;
        email('authentication-required', { reason: paid.message, payUrl: `/pay?org=${org.id}&product=${product.id}` });
      } else {
        const retry = attemptDates(product, type).find((d) => d > night);
        email('payment-failed', { reason: paid.message, code: paid.code, ...(retry ? { nextAttempt: retry } : {}) });
      }
    }
  }

  // A mark left by a checkout that has ended means nothing: drop it with this write (paid or not).
  if (product.openCheckoutId && !inCheckout) delete next.openCheckoutId;
  if (product.awaitsInvoice && !reopened) delete next.awaitsInvoice;

  if (!outcome.paid) {
    if (due.has('terminate')) {
      next.status = 'terminated';
      outcome.terminated = true;
      command('terminate');
    } else if (due.has('block') && product.status === 'active') {
      next.status = 'blocked';
      outcome.blocked = true;
      command('block');
      email('product-blocked', {});
    } else if (due.has('reminder') && !outcome.failed) {
      outcome.reminders = 1;
      email(product.autoRenew ? 'auto-renewal-notice' : 'renewal-reminder', {
        daysLeft: String(Math.max(0, daysBetween(night, product.expiry))),
      });
    }
  }

  next.lastNight = night;
  next.version = product.version + 1;
  const upcoming = nextActionDate(next, type, night, org.reminderDaysBefore);
  if (upcoming) next.nextActionDate = upcoming;
  else delete next.nextActionDate;

  changes.push({ type: 'product', product: next, expectedVersion: product.version });
  for (const e of emails) changes.push({ type: 'email', email: e });
  for (const c of commands) changes.push({ type: 'lifecycle', command: c, expectedStatus: null });
  if (deps.storeNightOutcomes !== false) changes.push({ type: 'outcome', outcome });
  // A number taken by another worker is retaken here, without paying or pricing the night again.
  await commitNumbered(store, changes, deps.numberRanges);

  await publish(deps, commands);
  return { status: 'done', outcome };
}

async function publish(deps: BillingDeps, commands: LifecycleCommand[]): Promise<void> {
  if (commands.length > 0) await deps.lifecycleQueue.send(commands.map((c) => ({ date: c.date, commandId: c.id })));
}

async function republishLifecycle(deps: BillingDeps, product: Product, night: IsoDate): Promise<void> {
  const actions: LifecycleAction[] = ['block', 'unblock', 'terminate'];
  const found = await Promise.all(actions.map((a) => deps.store.getLifecycleCommand(night, `${product.id}#${a}`)));
  await publish(
    deps,
    found.filter((c): c is LifecycleCommand => c !== undefined && c.status === 'pending'),
  );
}
