import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { Mailer, MailToSend } from '../../ports/mailer.ts';
import { composeMime } from './compose-mime.ts';

/** SES tag values allow letters, digits, "_", "-", "@" and "."; outbox ids hold "#", so the id travels as base64url. */
export const encodeTagValue = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
export const decodeTagValue = (s: string) => Buffer.from(s, 'base64url').toString('utf8');

export const OUTBOX_TAGS = { date: 'outbox_date', id: 'outbox_id', template: 'template' } as const;

/**
 * Sends through Amazon SES (API v2) as a raw MIME message, in the stage's
 * configuration set: its event destination reports bounces and complaints,
 * which carry the outbox key back in the message's tags.
 */
export class SesMailer implements Mailer {
  constructor(
    private readonly ses: SESv2Client,
    private readonly options: { portalUrl: string; configurationSet?: string },
  ) {}

  async send(mail: MailToSend): Promise<{ ref: string }> {
    const { raw } = await composeMime(mail, this.options.portalUrl);
    const res = await this.ses.send(
      new SendEmailCommand({
        FromEmailAddress: mail.from,
        Destination: { ToAddresses: mail.email.to },
        Content: { Raw: { Data: raw } },
        ...(this.options.configurationSet ? { ConfigurationSetName: this.options.configurationSet } : {}),
        EmailTags: [
          { Name: OUTBOX_TAGS.date, Value: mail.email.date },
          { Name: OUTBOX_TAGS.id, Value: encodeTagValue(mail.email.id) },
          { Name: OUTBOX_TAGS.template, Value: mail.email.template },
        ],
      }),
    );
    if (!res.MessageId) throw new Error('SES accepted the message without a MessageId');
    return { ref: res.MessageId };
  }
}
