import type { SandboxPaymentGateway } from '../../shared/adapters/sandbox/sandbox-payment-gateway.ts';
import { Money } from '../../shared/domain/money.ts';
import type { ApiResult } from './api-handler.ts';

/**
 * Local only: the stand-in for Stripe's hosted Checkout page, for payments
 * and for methods saved without paying. Its buttons do what a customer does
 * there with Stripe's test cards (pay, be declined, pass 3-D Secure, give
 * up); the outcome reaches the engine as a signed webhook, and the customer
 * goes back to the portal's success or cancel address, as from Stripe.
 */
export type SandboxOutcome = 'success' | 'decline' | 'authenticate' | 'authenticated' | 'cancel';
const OUTCOMES = new Set<string>(['success', 'decline', 'authenticate', 'authenticated', 'cancel']);

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Stripe's test methods for a payment of that kind. */
const SUCCESS_METHOD = { card: 'pm_card_visa', twint: 'pm_twint', paypal: 'pm_paypal', postfinance: 'pm_card_visa' } as const;

export function sandboxCheckoutPage(sandbox: SandboxPaymentGateway, ref: string, step?: string): ApiResult {
  const setup = sandbox.hostedSetup(ref);
  if (setup) {
    if (setup.status === 'succeeded') return redirect(setup.successUrl);
    return page(
      'Save a payment method',
      `<p>Saving a ${esc(setup.kind)} for automatic renewals.</p>${form(ref, [['success', `Save the test ${esc(setup.kind)}`, 'primary']])}${form(ref, [['cancel', 'Cancel and return', 'secondary']])}`,
    );
  }
  const pay = sandbox.hostedPage(ref);
  if (!pay) return page('Payment not found', '<p>No payment page with this reference.</p>', 404);
  if (pay.status === 'succeeded') return redirect(pay.successUrl);
  if (pay.status === 'canceled') return redirect(pay.cancelUrl);
  const currency = pay.currency;
  const lines = pay.lines
    .map(
      (l) =>
        `<tr><th scope="row">${esc(l.name)}</th><td class="num">${l.quantity}</td><td class="num">${esc(Money.of(l.unitAmount, currency).times(l.quantity).format())}</td></tr>`,
    )
    .join('');
  const summary = `<table><caption>What you pay</caption><thead><tr><th scope="col">Item</th><th scope="col" class="num">Quantity</th><th scope="col" class="num">Amount</th></tr></thead><tbody>${lines}</tbody>
<tfoot><tr><th scope="row" colspan="2">Total</th><td class="num"><strong>${esc(Money.of(pay.amount, currency).format())}</strong></td></tr></tfoot></table>`;
  if (step === '3ds') {
    return page(
      'Authenticate the payment',
      `<p>Your bank asks you to confirm this payment of ${esc(Money.of(pay.amount, currency).format())} (3-D Secure).</p>${form(ref, [
        ['authenticated', 'Complete authentication', 'primary'],
        ['decline', 'Fail authentication', 'secondary'],
      ])}`,
    );
  }
  const card = pay.methodKinds.includes('card');
  const failure = pay.failureMessage ? `<div class="notice notice-error" role="alert">${esc(pay.failureMessage)}</div>` : '';
  const buttons: [SandboxOutcome, string, string][] = card
    ? [
        ['success', 'Pay with test card 4242 (succeeds)', 'primary'],
        ['decline', 'Pay with test card 0002 (declined)', 'secondary'],
        ['authenticate', 'Pay with test card 3184 (authentication required)', 'secondary'],
      ]
    : [['success', `Pay with ${esc(pay.methodKinds[0] ?? 'the method')}`, 'primary']];
  return page('Pay', `${summary}${failure}${form(ref, buttons)}${form(ref, [['cancel', 'Cancel and return', 'secondary']])}`);
}

/** A button pressed on the stand-in page: the payment (or setup) confirmed as Stripe would, then where the customer goes. */
export async function sandboxCheckoutAction(sandbox: SandboxPaymentGateway, ref: string, body: string): Promise<ApiResult> {
  const outcome = new URLSearchParams(body).get('outcome') ?? '';
  if (!OUTCOMES.has(outcome)) return page('Unknown action', '<p>This page has no such button.</p>', 400);
  const setup = sandbox.hostedSetup(ref);
  if (setup) {
    if (outcome === 'cancel') return redirect(setup.cancelUrl);
    await sandbox.confirmSetup(ref, SUCCESS_METHOD[setup.kind]);
    return redirect(setup.successUrl);
  }
  const pay = sandbox.hostedPage(ref);
  if (!pay) return page('Payment not found', '<p>No payment page with this reference.</p>', 404);
  switch (outcome as SandboxOutcome) {
    case 'cancel':
      return redirect(pay.cancelUrl);
    case 'authenticate':
      return redirect(`/sandbox/checkout/${encodeURIComponent(ref)}?step=3ds`);
    case 'authenticated':
      // On-session, the customer passed 3-D Secure: Stripe's authentication-required card goes through.
      await sandbox.confirmPayment(ref, 'pm_card_authenticationRequired');
      return redirect(pay.successUrl);
    case 'decline':
      await sandbox.confirmPayment(ref, 'pm_card_chargeDeclined');
      // Stripe's page stays open after a decline, for another try.
      return redirect(`/sandbox/checkout/${encodeURIComponent(ref)}`);
    case 'success':
      await sandbox.confirmPayment(ref, SUCCESS_METHOD[pay.methodKinds[0] ?? 'card']);
      return redirect(pay.successUrl);
  }
}

function form(ref: string, buttons: [string, string, string][]): string {
  return `<form method="post" action="/sandbox/checkout/${esc(encodeURIComponent(ref))}" class="toolbar">${buttons
    .map(([value, label, kind]) => `<button type="submit" name="outcome" value="${value}" class="${kind}">${label}</button>`)
    .join('')}</form>`;
}

function page(title: string, content: string, status = 200): ApiResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    body: `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)} · Sandbox payment page</title><link rel="stylesheet" href="/assets/app.css"></head>
<body><main id="main" class="sandbox"><p class="sandbox-note">Local sandbox: this page stands in for the payment provider's.</p><h1>${esc(title)}</h1>${content}</main></body>
</html>`,
  };
}

function redirect(to: string): ApiResult {
  return { statusCode: 303, headers: { location: to, 'cache-control': 'no-store' }, body: '' };
}
