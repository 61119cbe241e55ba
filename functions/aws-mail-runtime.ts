import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDbBillingStore } from '../shared/adapters/dynamodb/dynamodb-billing-store.ts';
import { SesMailer } from '../shared/adapters/mail/ses-mailer.ts';
import { S3Client } from '@aws-sdk/client-s3';
import { S3DocumentArchive } from '../shared/adapters/s3/s3-document-archive.ts';
import { randomIds, systemClock } from '../shared/adapters/system-clock.ts';
import type { MailDeps } from '../shared/use-cases/mail/deliver-email.ts';
import type { OutboxStore } from '../shared/ports/outbox-store.ts';
import { awsConfig, env } from './aws-environment.ts';

let deps: MailDeps | undefined;

/**
 * Wiring of send-email: the outbox on the table, SES (API v2) in the
 * stage's configuration set (`SES_CONFIGURATION_SET`, whose event
 * destination reports bounces and complaints), the sellers and the portal
 * address from the stage's configuration.
 */
export function awsMailDeps(): MailDeps {
  if (deps) return deps;
  const config = awsConfig();
  deps = {
    store: new DynamoDbBillingStore(new DynamoDBClient({}), env('TABLE_NAME')),
    mailer: new SesMailer(new SESv2Client({}), { portalUrl: config.mail.portalUrl, configurationSet: env('SES_CONFIGURATION_SET') }),
    clock: systemClock(),
    ids: randomIds,
    seller: config.seller,
    sellers: config.sellers,
    ...(config.mail.from ? { mailFrom: config.mail.from } : {}),
    // Reads only: the documents e-mails attach, as kept.
    archive: new S3DocumentArchive(new S3Client({}), env('ARCHIVE_BUCKET')),
  };
  return deps;
}

/** Wiring of record-mail-feedback: the outbox only. */
export function awsOutboxStore(): OutboxStore {
  return new DynamoDbBillingStore(new DynamoDBClient({}), env('TABLE_NAME'));
}
