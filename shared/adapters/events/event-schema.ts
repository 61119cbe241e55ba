/**
 * The published shape of the business events (docs/events.md), as zod
 * schemas and as the JSON Schema kept in docs/events.schema.json for the
 * provider's systems. One schema per type and version; a consumer picks
 * the branch by `type`.
 */
import * as z from 'zod';
import { BUSINESS_EVENT_TYPES, eventTypeName, type BusinessEventType } from '../../domain/business-events.ts';

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');
const amount = z.string().regex(/^-?\d+\.\d{2}$/, 'a decimal amount with two decimals, as a string');
const currency = z.enum(['CHF', 'EUR']);
const id = z.string().min(1);
const instant = z.iso.datetime({ offset: false });

const DATA = {
  'product.renewed': z
    .object({ orgId: id, productId: id, periodFrom: date, periodTo: date, invoiceNumber: id, currency, gross: amount })
    .describe('A product was paid for a further period (a renewal, a checkout, a transfer): its service runs to periodTo.'),
  'product.blocked': z.object({ orgId: id, productId: id, date }).describe('Unpaid after expiry: suspend the service (its data stays).'),
  'product.unblocked': z.object({ orgId: id, productId: id, date }).describe('Paid after being blocked: resume the service.'),
  'product.terminated': z
    .object({ orgId: id, productId: id, date, backupsDeleted: z.boolean() })
    .describe('Unpaid until its termination day, or terminated on request: the service and its backups are deleted for good.'),
  'invoice.issued': z
    .object({
      orgId: id,
      number: id,
      series: z.enum(['INV', 'PRO', 'CN']).describe('INV final invoice, PRO pro-forma (asks for a bank transfer), CN credit note'),
      issueDate: date,
      currency,
      totalNet: amount,
      totalVat: amount,
      total: amount,
      productIds: z.array(id),
    })
    .describe('A document was issued; its PDF is at GET /v1/orgs/{orgId}/invoices/{number}.pdf.'),
  'payment.failed': z
    .object({ orgId: id, productId: id, attemptId: id, night: date, attempt: z.number().int().positive(), currency, amount, reason: id })
    .describe("An automatic renewal's charge failed (reason: the provider's decline code, e.g. card_declined)."),
  'checkout.paid': z
    .object({
      orgId: id,
      checkoutId: id,
      purpose: z.enum(['renewal', 'top-up']),
      method: id,
      currency,
      total: amount,
      productIds: z.array(id),
      invoiceNumber: id.optional(),
    })
    .describe("A customer's checkout was paid and fulfilled (products renewed, or balance credited)."),
} satisfies Record<BusinessEventType, z.ZodType>;

function eventSchema<T extends BusinessEventType>(type: T) {
  return z
    .object({
      specversion: z.literal('1.0'),
      id: id.describe('Stable per fact: the same id seen twice is the same fact delivered twice.'),
      source: z.literal('billing-engine'),
      type: z.literal(eventTypeName(type)),
      subject: id,
      time: instant,
      datacontenttype: z.literal('application/json'),
      data: DATA[type],
    })
    .strict()
    .describe(`${eventTypeName(type)}: ${DATA[type].description ?? ''}`);
}

export const BusinessEventSchema = z.discriminatedUnion(
  'type',
  BUSINESS_EVENT_TYPES.map((t) => eventSchema(t)) as unknown as [ReturnType<typeof eventSchema>, ...ReturnType<typeof eventSchema>[]],
);

export function businessEventJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(BusinessEventSchema, { target: 'draft-2020-12' }),
    title: 'Renewal billing engine: business events (CloudEvents 1.0, JSON)',
  };
}
