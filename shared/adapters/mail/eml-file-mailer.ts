import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { Mailer, MailToSend } from '../../ports/mailer.ts';
import { composeMime } from './compose-mime.ts';

/** Anything but letters, digits, dot, dash and underscore becomes "_": outbox ids hold "#". */
const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');

/**
 * The mail service of this machine: each e-mail is written as a `.eml` file
 * (any mail client opens it) under `<out>/mail/<date>/<organisation>/`.
 * Its reference is the file's path under `<out>`.
 */
export class EmlFileMailer implements Mailer {
  private readonly root: string;
  constructor(
    outDir: string,
    private readonly portalUrl: string,
  ) {
    this.root = resolve(outDir);
  }

  async send(mail: MailToSend): Promise<{ ref: string }> {
    const { raw } = await composeMime(mail, this.portalUrl);
    const file = join(this.root, 'mail', mail.email.date, safe(mail.email.orgId), `${safe(mail.email.id)}.eml`);
    await mkdir(dirname(file), { recursive: true });
    // Written aside then renamed: a reader never sees half a message.
    const aside = `${file}.${process.pid}.tmp`;
    await writeFile(aside, raw);
    await rename(aside, file);
    return { ref: relative(this.root, file).split('\\').join('/') };
  }
}
