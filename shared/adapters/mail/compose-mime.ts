/**
 * An outbox e-mail as an RFC 5322 message (multipart/alternative: text and
 * HTML, UTF-8; multipart/mixed with the document's files when it carries
 * them), built by nodemailer's MailComposer: the same bytes are
 * written as a `.eml` file on this machine and handed to SES as a raw
 * message in AWS.
 */
import { createHash } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import type { MailToSend } from '../../ports/mailer.ts';
import { renderEmail, type RenderedEmail } from './render-email.ts';

export interface ComposedMail {
  raw: Buffer;
  rendered: RenderedEmail;
  messageId: string;
}

/** The outbox key the message carries, in its headers here and in SES's tags: feedback finds its e-mail by it. */
export const outboxKeyHeader = 'X-Billing-Outbox';

export async function composeMime(mail: MailToSend, portalUrl: string): Promise<ComposedMail> {
  const { email } = mail;
  const rendered = renderEmail(email, { language: mail.language, seller: mail.seller, orgName: mail.orgName, portalUrl });
  const domain = mail.from.split('@')[1] ?? 'localhost';
  // Derived from the outbox key: the same e-mail sent again carries the same Message-ID, and mail clients show it once.
  const messageId = `<${createHash('sha256').update(`${email.date}/${email.id}`).digest('hex').slice(0, 32)}@${domain}>`;
  const composer = new MailComposer({
    from: { name: mail.seller.name, address: mail.from },
    to: email.to,
    subject: rendered.subject,
    text: rendered.text,
    html: rendered.html,
    ...(mail.attachments?.length ? { attachments: mail.attachments.map((a) => ({ filename: a.filename, content: a.content, contentType: a.contentType })) } : {}),
    messageId,
    // When the engine wrote it (RFC 5322: the time the message was complete), so a file built again is the same message.
    date: new Date(email.createdAt || `${email.date}T00:00:00Z`),
    headers: {
      [outboxKeyHeader]: `${email.date}/${email.id}`,
      'X-Billing-Template': email.template,
      'X-Billing-Org': email.orgId,
      'Content-Language': mail.language,
    },
  });
  const raw = await composer.compile().build();
  return { raw, rendered, messageId };
}
