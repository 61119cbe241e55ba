import type { PaymentGateway, WebhookVerifier } from '../../ports/payment-gateway.ts';

/**
 * The payment gateway of a function that never calls the payment provider (the nightly planner, a renewal
 * paid from the balance or deferred to the charge queue, lifecycle, listings): it carries no provider SDK and
 * no secret, and a call that reaches it is a wiring fault, refused by name rather than sent anywhere.
 */
export function noPaymentProvider(functionName: string): PaymentGateway & WebhookVerifier {
  const refuse = (call: string) => (): never => {
    throw new Error(`${functionName} is wired without the payment provider, yet called ${call}: give it the provider's wiring (functions/aws-runtime.ts) and secret`);
  };
  return {
    get onSessionMethods(): never {
      return refuse('onSessionMethods')();
    },
    charge: refuse('charge'),
    retrieve: refuse('retrieve'),
    findChargeByAttempt: refuse('findChargeByAttempt'),
    ensureCustomer: refuse('ensureCustomer'),
    createPayment: refuse('createPayment'),
    createSetup: refuse('createSetup'),
    getPayment: refuse('getPayment'),
    refund: refuse('refund'),
    getPaymentMethod: refuse('getPaymentMethod'),
    listEvents: refuse('listEvents'),
    verify: refuse('verify'),
  };
}
