import * as z from 'zod';
import { CHECKOUT_METHODS } from '../../shared/domain/checkout.ts';
import { LANGUAGES } from '../../shared/domain/organisation.ts';

/**
 * What each route answers, as zod schemas: the OpenAPI document is made from
 * them (openapi-document.ts), and the HTTP tests check every answer they get
 * against that document, so a schema that drifts from the answers fails.
 * Amounts are decimal strings (`"14.05"`), never numbers.
 */
/** The schemas the OpenAPI document lists as components, by name; a route's answer and nested uses refer to them. */
export const API_SCHEMAS = z.registry<{ id: string }>();
const named = <S extends z.ZodType>(id: string, schema: S): S => {
  API_SCHEMAS.add(schema, { id });
  return schema;
};

const amount = z
  .string()
  .regex(/^-?\d+(\.\d+)?$/)
  .describe('A decimal amount as a string, such as "14.05"');
const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .describe('YYYY-MM-DD');
const instant = z.string().describe('ISO 8601 instant');
const currency = z.enum(['CHF', 'EUR']);

export const ErrorBody = named(
  'Error',
  z.object({ error: z.object({ code: z.string(), message: z.string(), status: z.number().int() }) }).describe('The one error shape of the API, whatever failed'),
);

const Period = z.object({ months: z.number().int(), price: amount });
export const SelectableProductSchema = named(
  'SelectableProduct',
  z.object({
    id: z.string(),
    name: z.string(),
    typeId: z.string(),
    typeName: z.string(),
    status: z.enum(['active', 'pending', 'blocked', 'terminated']),
    expiry: isoDate,
    autoRenew: z.boolean(),
    currency,
    periodMonths: z.number().int(),
    price: amount,
    periods: z.array(Period),
  }),
);
export const ProductListResponse = named(
  'ProductList',
  z.object({
    due: z.enum(['2m', 'all']),
    products: z.array(SelectableProductSchema),
    nextCursor: z.string().optional().describe('Where the next page starts (pass as cursor); absent on the last page'),
  }),
);

const CheckoutItemSchema = z.object({
  productId: z.string(),
  productName: z.string(),
  typeId: z.string(),
  periodMonths: z.number().int(),
  kind: z.enum(['renewal', 'order']),
  unitPrice: amount,
  quantity: z.number().int(),
  periodFrom: isoDate.optional(),
  periodTo: isoDate.optional(),
});
const Failure = z.object({ code: z.string(), message: z.string() });
export const CheckoutResponse = named(
  'Checkout',
  z.object({
    checkoutId: z.string(),
    purpose: z.enum(['renewal', 'top-up']),
    status: z.enum(['awaiting_payment', 'paid', 'held', 'canceled', 'refunding', 'refunded']),
    currency,
    items: z.array(CheckoutItemSchema),
    totalNet: amount,
    totalVat: amount,
    total: amount,
    vatMention: z.string().optional(),
    balanceUsed: amount,
    amountDue: amount,
    method: z.enum(CHECKOUT_METHODS),
    payment: z
      .object({
        provider: z.literal('stripe'),
        paymentRef: z.string(),
        clientSecret: z.string().optional().describe('Confirm with Stripe.js (a checkout without returnUrl)'),
        url: z.string().optional().describe("The provider's hosted payment page (a checkout with returnUrl)"),
      })
      .optional(),
    proformaNumber: z.string().optional(),
    paymentReference: z.string().optional(),
    invoiceNumber: z.string().optional(),
    creditNoteNumber: z.string().optional(),
    lastFailure: Failure.optional(),
  }),
);

export const QuoteResponse = named(
  'Quote',
  z.object({
    currency,
    items: z.array(CheckoutItemSchema),
    totalNet: amount,
    totalVat: amount,
    total: amount,
    vatRate: amount.describe('Percent, such as "8.1"'),
    vatMention: z.string().optional(),
    balance: amount,
    balanceUsed: amount,
    amountDue: amount,
    methods: z.array(z.enum(CHECKOUT_METHODS)).describe('What the rest can be paid with here: card, twint, paypal, postfinance as the provider offers them in this currency, iban'),
  }),
);

const RoleSchema = z.enum(['legal-owner', 'administrator', 'collaborator', 'external']);
export const MeResponse = named(
  'Me',
  z.object({
    userId: z.string(),
    finance: z.boolean(),
    organisations: z.array(
      z.object({
        orgId: z.string(),
        name: z.string(),
        currency,
        country: z.string(),
        language: z.enum(LANGUAGES),
        role: RoleSchema,
        billingRights: z.boolean(),
        wholeOrganisation: z.boolean(),
        viaPartner: z.string().optional(),
        methods: z.array(z.enum(CHECKOUT_METHODS)).describe('What it can pay with here (as the quote says)'),
      }),
    ),
  }),
);

export const WebhookAck = named('WebhookAck', z.object({ received: z.literal(true) }));

const CurrencyTotals = z.object({ net: amount, vat: amount, gross: amount, paid: z.record(z.string(), amount) });
export const ExportResponse = named(
  'Export',
  z.object({
    exportId: z.string(),
    status: z.enum(['queued', 'running', 'done', 'failed']),
    params: z.object({
      from: isoDate,
      to: isoDate,
      orgId: z.string().optional(),
      partnerId: z.string().optional(),
      lines: z.boolean(),
      pdf: z.boolean(),
      journal: z.enum(['csv', 'banana']).optional(),
    }),
    totals: z.object({ documents: z.number().int(), rows: z.number().int(), byCurrency: z.record(z.string(), CurrencyTotals) }).optional(),
    csvUrl: z.string().optional(),
    zipUrl: z.string().optional(),
    journalUrl: z.string().optional().describe("The period's journal (generic CSV or Banana's import text), when asked for"),
    journalTotals: z
      .object({
        documents: z.number().int(),
        bookings: z.number().int(),
        accounts: z.record(z.string(), z.object({ debit: amount, credit: amount, debitChf: amount, creditChf: amount })),
        vatByCode: z.record(z.string(), z.object({ net: amount, vat: amount, vatChf: amount })),
        bookedChf: amount,
      })
      .optional(),
    error: z.string().optional(),
  }),
);

export const AutoRenewResponse = named(
  'AutoRenewResult',
  z.object({
    changed: z.array(z.string()),
    unchanged: z.array(z.string()),
    refused: z.array(z.object({ productId: z.string(), code: z.string(), message: z.string() })),
  }),
);

export const InvoiceListResponse = named(
  'InvoiceList',
  z.object({
    invoices: z.array(
      z.object({
        number: z.string(),
        series: z.enum(['INV', 'PRO', 'CN']),
        issueDate: isoDate,
        currency,
        totalNet: amount,
        totalVat: amount,
        total: amount,
        status: z.enum(['paid', 'open', 'void']),
        amountDue: amount,
        paymentReference: z.string().optional(),
        refersTo: z.string().optional(),
        products: z.array(z.string()),
        pdf: z.string().describe('The path of the PDF on this API'),
        xml: z.string().optional().describe("A final invoice's or credit note's EN 16931 e-invoice on this API (none for a pro-forma)"),
      }),
    ),
  }),
);

export const BalanceResponse = named(
  'Balance',
  z.object({
    currency,
    balance: amount,
    ledger: z.array(
      z.object({
        id: z.string(),
        date: isoDate,
        amount,
        reason: z.enum(['top-up', 'renewal', 'renewal-hold', 'hold-release', 'checkout-hold', 'refund', 'top-up-refund', 'overpayment', 'bank-reversal']),
        ref: z.string(),
        balanceAfter: amount,
        createdAt: instant,
      }),
    ),
  }),
);

const MethodKind = z.enum(['card', 'postfinance', 'twint', 'paypal']);
export const PaymentMethodListResponse = named(
  'PaymentMethodList',
  z.object({
    paymentMethods: z.array(
      z.object({
        id: z.string(),
        kind: MethodKind,
        brand: z.enum(['visa', 'mastercard', 'cb']).optional(),
        label: z.string(),
        createdAt: instant,
        renews: z.array(z.string()).describe('Products renewed automatically with it'),
      }),
    ),
  }),
);
export const RemovedResponse = named('Removed', z.object({ removed: z.string() }));

export const ErasureResponse = named(
  'Erasure',
  z.object({
    userId: z.string(),
    erasedAt: z.string(),
    organisations: z.array(
      z.object({
        orgId: z.string(),
        outcome: z.enum(['membership-removed', 'organisation-erased']),
        membersRemoved: z.number().int(),
        paymentMethodsRemoved: z.number().int(),
      }),
    ),
    kept: z.array(z.string()).describe('What stays, and why: the documents and accounting records of the legal retention'),
  }),
);

export const MethodSetupResponse = named(
  'MethodSetup',
  z.object({
    provider: z.literal('stripe'),
    setupRef: z.string(),
    clientSecret: z.string().optional().describe('Confirm with Stripe.js confirmSetup (a setup without returnUrl)'),
    url: z.string().optional().describe("The provider's hosted page (a setup with returnUrl)"),
    kind: z.enum(['card', 'twint', 'paypal']),
  }),
);

export const TerminationResponse = named(
  'Termination',
  z.object({
    productId: z.string(),
    requestId: z.string(),
    status: z.enum(['pending', 'confirmed']),
    date: z.string(),
    requestedAt: z.string(),
    expiresAt: z.string().optional(),
    confirmedAt: z.string().optional(),
  }),
);

export const TerminationWithdrawnResponse = named('TerminationWithdrawn', z.object({ productId: z.string(), withdrawn: z.string() }));

export const PendingOrdersResponse = named(
  'PendingOrders',
  z.object({
    checkouts: z.array(CheckoutResponse),
    products: z.array(z.object({ id: z.string(), name: z.string(), typeId: z.string() })),
  }),
);

const Role = RoleSchema;
export const OrganisationResponse = named(
  'Organisation',
  z.object({
    id: z.string(),
    name: z.string(),
    currency,
    country: z.string(),
    vatNumber: z.string().optional(),
    address: z.string().optional(),
    language: z.enum(LANGUAGES).optional(),
    balance: amount,
    billingContacts: z.array(z.string()),
    reminderDaysBefore: z.array(z.number().int()).optional(),
    identityCheck: z.enum(['required', 'passed']).optional(),
    sellerId: z.string().optional(),
    partner: z.object({ discountPercent: amount, renewalMethodId: z.string().optional() }).optional(),
    partnerId: z.string().optional(),
    billToPartner: z.boolean().optional(),
    postal: z.object({ street: z.string(), buildingNumber: z.string().optional(), zip: z.string(), city: z.string(), country: z.string() }).optional(),
    eInvoice: z.object({ formats: z.array(z.enum(['peppol', 'xrechnung', 'facturx'])), peppolId: z.string().optional(), buyerReference: z.string().optional() }).optional(),
    createdAt: instant,
  }),
);
export const MemberResponse = named(
  'Member',
  z.object({
    orgId: z.string(),
    userId: z.string(),
    email: z.string(),
    name: z.string(),
    role: Role,
    billingRights: z.boolean(),
    productIds: z.array(z.string()),
  }),
);
export const OrganisationListResponse = named('OrganisationList', z.object({ organisations: z.array(OrganisationResponse) }));
export const OrganisationDetailResponse = named('OrganisationDetail', z.object({ organisation: OrganisationResponse, members: z.array(MemberResponse) }));

export const ProductResponse = named(
  'Product',
  z.object({
    id: z.string(),
    orgId: z.string(),
    typeId: z.string(),
    name: z.string(),
    expiry: isoDate,
    periodMonths: z.number().int(),
    autoRenew: z.boolean(),
    paymentMethodId: z.string().optional(),
    status: z.enum(['active', 'pending', 'blocked', 'terminated']),
    nextActionDate: isoDate.optional(),
    createdAt: instant,
  }),
);
export const ImportReport = named(
  'ImportReport',
  z.object({
    rows: z.number().int(),
    added: z.number().int(),
    unchanged: z.number().int(),
    refused: z.number().int(),
    report: z.array(
      z.union([
        z.object({ row: z.number().int().describe('The line of the file'), status: z.enum(['added', 'unchanged']), id: z.string() }),
        z.object({ row: z.number().int(), status: z.literal('refused'), code: z.string(), message: z.string() }),
      ]),
    ),
  }),
);
export const PaymentMethodResponse = named(
  'PaymentMethod',
  z.object({
    id: z.string(),
    orgId: z.string(),
    kind: MethodKind,
    brand: z.enum(['visa', 'mastercard', 'cb']).optional(),
    label: z.string(),
    gatewayRef: z.string(),
    createdAt: instant,
  }),
);
export const IdentityCheckResponse = named('IdentityCheck', z.object({ orgId: z.string(), identityCheck: z.enum(['required', 'passed']) }));
export const AuditResponse = named(
  'AuditTrail',
  z.object({
    date: isoDate,
    entries: z.array(
      z.object({
        date: isoDate,
        id: z.string(),
        at: instant,
        client: z.string(),
        action: z.string(),
        orgId: z.string().optional(),
        target: z.string().optional(),
        status: z.enum(['started', 'done', 'refused']),
        httpStatus: z.number().int().optional(),
        code: z.string().optional(),
        summary: z.string().optional(),
        finishedAt: instant.optional(),
      }),
    ),
  }),
);

const CreditOutcome = z.enum([
  'settled',
  'partial',
  'overpaid',
  'credited-to-balance',
  'unmatched',
  'wrong-currency',
  'unreadable',
  'conflicting',
  'reversed',
  'reversal-unmatched',
]);
export const BankImportResponse = named(
  'BankImport',
  z.object({
    statementId: z.string(),
    alreadyImported: z.boolean().describe('This very file was imported before: nothing was settled again'),
    credits: z.array(
      z.object({
        id: z.string(),
        amount,
        currency: z.string(),
        outcome: CreditOutcome,
        documentNumber: z.string().optional(),
        note: z.string().optional(),
        reference: z.string().optional(),
        duplicate: z.boolean(),
      }),
    ),
    settled: z.record(z.string(), amount).describe('Per currency'),
    toReview: z.number().int(),
    entries: z.object({ credits: z.number().int(), reversals: z.number().int(), unreadable: z.number().int(), ignored: z.number().int() }),
  }),
);

export const BankCreditListResponse = named(
  'BankCreditList',
  z.object({
    credits: z.array(
      z
        .object({
          id: z.string(),
          statementId: z.string(),
          amount,
          currency: z.string(),
          bookingDate: isoDate.optional(),
          reference: z.string().optional(),
          message: z.string().optional(),
          debtorName: z.string().optional(),
          outcome: CreditOutcome,
          account: z.string().optional(),
          documentNumber: z.string().optional(),
          note: z.string().optional(),
          importedAt: instant.optional(),
        })
        .loose(),
    ),
  }),
);

export const HeldOrdersResponse = named(
  'HeldOrders',
  z.object({ orders: z.array(z.object({ orgId: z.string(), orgName: z.string(), heldSince: isoDate, checkout: CheckoutResponse })) }),
);

export const OssReturnResponse = named(
  'OssReturn',
  z.object({
    quarter: z.string().describe('YYYY-Qn'),
    from: isoDate,
    to: isoDate,
    sellerId: z.string(),
    scheme: z.enum(['union', 'non-union']).describe('The Union scheme (an EU seller) or the non-Union scheme (a seller outside the EU, such as a Swiss one)'),
    rows: z.array(
      z.object({
        memberState: z.string(),
        rate: amount,
        currency,
        net: amount,
        vat: amount,
        documents: z.number().int(),
        eurNet: amount,
        eurVat: amount,
      }),
    ),
    euroRate: z.object({ date: isoDate, chf: amount }).optional().describe('The ECB rate francs were converted at (CHF for one EUR)'),
    declared: z.array(z.object({ memberState: z.string(), rate: amount, net: amount, vat: amount })).describe('What to declare, per member state and rate, in euros'),
  }),
);
