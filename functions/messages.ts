import * as z from 'zod';
import { parseRateRow } from '../shared/domain/exchange-rates.ts';
import { isIsoDate } from '../shared/domain/calendar.ts';
import type { LifecycleMessage, RenewalMessage } from '../shared/ports/message-queue.ts';
import type { SettlementMessage } from '../shared/use-cases/checkout/checkout-deps.ts';
import type { EmailRef } from '../shared/use-cases/mail/deliver-email.ts';

const isoDate = z.string().refine(isIsoDate, 'must be a date as YYYY-MM-DD');

// A carried rate obeys the rules of a rates file's row (exchange-rates.ts), and the plan only carries euros'.
const ChfRateSchema = z.object({ currency: z.literal('EUR'), period: z.string(), chf: z.string() }).superRefine((r, ctx) => {
  const row = parseRateRow([r.period, r.currency, r.chf]);
  if (typeof row === 'string') ctx.addIssue({ code: 'custom', message: row });
});
const RenewalMessageSchema = z.object({
  orgId: z.string().min(1),
  productId: z.string().min(1),
  night: isoDate,
  methodId: z.string().min(1).max(255).optional(),
  chfRate: ChfRateSchema.nullable().optional(),
});
const LifecycleMessageSchema = z.object({ date: isoDate, commandId: z.string().min(1) });
const SettlementMessageSchema = z.object({ eventId: z.string().min(1).max(255) });

/** Queue bodies are validated like any other input: a malformed one fails its record, not the batch. */
export function parseRenewalMessage(body: string): RenewalMessage {
  return RenewalMessageSchema.parse(JSON.parse(body));
}

export function parseLifecycleMessage(body: string): LifecycleMessage {
  return LifecycleMessageSchema.parse(JSON.parse(body));
}

export function parseSettlementMessage(body: string): SettlementMessage {
  return SettlementMessageSchema.parse(JSON.parse(body));
}

const EmailRefSchema = z.object({ date: isoDate, id: z.string().min(1).max(1024) });

/** The mail queue's body: the outbox key of one e-mail. */
export function parseEmailRef(body: string): EmailRef {
  return EmailRefSchema.parse(JSON.parse(body));
}
