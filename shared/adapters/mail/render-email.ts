/**
 * An outbox e-mail made into what a mailbox shows: subject, HTML and text,
 * in the organisation's language, signed by the seller that bills it, with
 * its button leading into the customer portal.
 */
import type { Language } from '../../domain/organisation.ts';
import type { OutboxEmail } from '../../domain/records.ts';
import type { Seller } from '../../domain/seller.ts';
import { formatDate, formatSwissAmount } from '../pdf/labels.ts';

import { EMAIL_TEXTS, type Link, type Values } from './email-texts.ts';

export interface EmailContext {
  language: Language;
  seller: Seller;
  orgName: string;
  /** The customer portal's address: buttons lead there. */
  portalUrl: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  /** The button's target, when the e-mail has one. */
  link?: string;
}

const AMOUNTS = new Set(['amount', 'total', 'amountDue', 'received']);
const DATES = new Set(['expiry', 'newExpiry', 'nextAttempt', 'terminationDate']);

function values(email: OutboxEmail, ctx: EmailContext): Values {
  const texts = EMAIL_TEXTS[ctx.language];
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(email.data)) {
    if (AMOUNTS.has(key)) out[key] = formatSwissAmount(raw, email.data.currency ?? '');
    else if (DATES.has(key)) out[key] = formatDate(raw, ctx.language);
    else out[key] = raw;
  }
  // A failure is told in the customer's words: by its code when we know it, else as the provider wrote it.
  const reason = texts.reasons[email.data.code ?? ''] ?? texts.reasons[email.data.reason ?? ''] ?? email.data.reason;
  if (reason) out.reason = reason;
  // Absent values read as '' (the texts leave their sentence out), never as "undefined".
  return new Proxy(out, { get: (target, key) => (typeof key === 'string' ? (target[key] ?? '') : undefined) });
}

function linkTo(link: Link, email: OutboxEmail, portalUrl: string): string {
  const path: Record<Link, string> = {
    'pay-product': '/pay',
    'pay-invoice': '/pay',
    invoices: '/invoices',
    products: '/products',
    balance: '/balance',
    'payment-methods': '/payment-methods',
    'confirm-termination': '/terminations/confirm',
  };
  // Under the portal's own path, when it is served below one (https://example.ch/customer).
  const url = new URL(portalUrl);
  url.pathname = `${url.pathname.replace(/\/$/, '')}${path[link]}`;
  url.searchParams.set('org', email.orgId);
  if (link === 'pay-product' && (email.productId ?? email.data.productId)) url.searchParams.set('product', (email.productId ?? email.data.productId)!);
  if (link === 'pay-invoice' && email.data.invoice) url.searchParams.set('invoice', email.data.invoice);
  if (link === 'confirm-termination') {
    // The portal's page posts these to POST /v1/orgs/{orgId}/products/{productId}/termination/confirm.
    url.searchParams.set('product', email.productId ?? email.data.productId ?? '');
    url.searchParams.set('request', email.data.requestId ?? '');
    url.searchParams.set('token', email.data.token ?? '');
  }
  return url.toString();
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

export function renderEmail(email: OutboxEmail, ctx: EmailContext): RenderedEmail {
  const texts = EMAIL_TEXTS[ctx.language];
  const template = texts.templates[email.template];
  const v = values(email, ctx);
  const subject = template.subject(v);
  const paragraphs = template.body(v).filter((p) => p !== '');
  const link = template.action ? linkTo(template.action.link, email, ctx.portalUrl) : undefined;
  const why = texts.why.replace('{org}', ctx.orgName);
  const seller = ctx.seller;
  const footer = [seller.name, seller.address, seller.website].filter(Boolean) as string[];

  const text = [
    texts.greeting,
    ...paragraphs,
    ...(template.action && link ? [`${template.action.label}: ${link}`] : []),
    `${texts.signOff}\n${seller.name}`,
    `-- \n${why}\n${footer.join('\n')}`,
  ].join('\n\n');

  const html = [
    '<!doctype html>',
    `<html lang="${ctx.language}">`,
    `<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escape(subject)}</title></head>`,
    '<body style="margin:0;padding:24px;background:#f5f5f5;font-family:Helvetica,Arial,sans-serif;color:#1a1a1a;font-size:15px;line-height:1.5">',
    '<div style="max-width:560px;margin:0 auto;background:#ffffff;padding:24px;border-radius:4px">',
    `<p>${escape(texts.greeting)}</p>`,
    ...paragraphs.map((p) => `<p>${escape(p)}</p>`),
    ...(template.action && link
      ? [
          `<p style="margin:24px 0"><a href="${escape(link)}" style="background:#0b57d0;color:#ffffff;padding:10px 18px;border-radius:4px;text-decoration:none;display:inline-block">${escape(template.action.label)}</a></p>`,
        ]
      : []),
    `<p>${escape(texts.signOff)}<br>${escape(seller.name)}</p>`,
    `<hr style="border:none;border-top:1px solid #dddddd"><p style="font-size:12px;color:#555555">${escape(why)}<br>${footer.map(escape).join('<br>')}</p>`,
    '</div></body></html>',
  ].join('\n');

  return { subject, text, html, ...(link ? { link } : {}) };
}
