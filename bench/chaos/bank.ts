import type { IsoDate } from '../../shared/domain/calendar.ts';
import { addDays } from '../../shared/domain/calendar.ts';
import type { FaultLog } from './faults.ts';
import type { Rng } from './random.ts';
import type { BankBooking } from './reference-model.ts';

/** Names of the bank's misbehaviours, as printed; the e2e test checks each happened. */
export const BANK_FAULT = {
  fileTwice: 'bank: the same file delivered twice',
  bookingRepeated: "bank: a booking repeated in the next day's file",
} as const;

interface Scheduled {
  on: IsoDate;
  booking: BankBooking;
}

/**
 * The seller's bank: books what customers send for their pro-formas (and
 * what their banks take back), and every evening writes the day's bookings
 * into a camt.054.001.08 notification, one per currency account, written
 * here by hand rather than by the engine's own writer. Like real banks it
 * sometimes delivers a file twice, or repeats yesterday's booking in
 * today's file.
 */
export class Bank {
  private readonly scheduled: Scheduled[] = [];
  private yesterday: Scheduled[] = [];
  private sequence = 0;
  readonly sent: BankBooking[] = [];
  filesDelivered = 0;

  constructor(
    private readonly rng: Rng,
    private readonly faults: FaultLog,
    private readonly accounts: { CHF: string; EUR: string; qrIban: string },
    private readonly rates: { fileTwice: number; bookingRepeated: number },
  ) {}

  /** A transfer (or the bank taking one back) booked on `on`. */
  book(on: IsoDate, b: Omit<BankBooking, 'bankRef' | 'deliveredOn'>): BankBooking {
    const booking = { ...b, deliveredOn: on, bankRef: `BK-${on.replaceAll('-', '')}-${String(++this.sequence).padStart(5, '0')}` };
    this.scheduled.push({ on, booking });
    return booking;
  }

  /** The day's files, handed to `deliver` (the bucket the import function listens on). */
  async close(today: IsoDate, deliver: (name: string, xml: string) => Promise<void>): Promise<void> {
    const due = this.scheduled.filter((s) => s.on <= today);
    for (const s of due) this.scheduled.splice(this.scheduled.indexOf(s), 1);
    const repeated = this.faults.enabled ? this.yesterday.filter(() => this.rng.chance(this.rates.bookingRepeated)) : [];
    if (repeated.length > 0) this.faults.add(BANK_FAULT.bookingRepeated, repeated.length);
    this.yesterday = due;
    for (const currency of ['CHF', 'EUR'] as const) {
      const entries = [...repeated, ...due].filter((s) => s.booking.currency === currency);
      if (entries.length === 0) continue;
      const msgId = `CAMT-${today.replaceAll('-', '')}-${currency}`;
      const xml = this.camt054(msgId, today, currency, entries);
      for (const s of due) if (s.booking.currency === currency) this.sent.push({ ...s.booking, deliveredOn: today });
      await deliver(`bank/incoming/${msgId}.xml`, xml);
      this.filesDelivered++;
      if (this.faults.enabled && this.rng.chance(this.rates.fileTwice)) {
        this.faults.add(BANK_FAULT.fileTwice);
        await deliver(`bank/incoming/${msgId}-again.xml`, xml);
      }
    }
  }

  pending(): number {
    return this.scheduled.length;
  }

  /** When a customer's bank books a transfer sent on `day`: the same day or up to two banking days later. */
  settleDay(day: IsoDate): IsoDate {
    return addDays(day, this.rng.int(0, 2));
  }

  private camt054(msgId: string, today: IsoDate, currency: 'CHF' | 'EUR', entries: Scheduled[]): string {
    const account = currency === 'CHF' ? this.accounts.qrIban : this.accounts.EUR;
    const ntry = ({ on, booking: b }: Scheduled) => {
      const qrr = /^\d{27}$/.test(b.reference);
      const ref = `<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry>${qrr ? '<Prtry>QRR</Prtry>' : '<Cd>SCOR</Cd>'}</CdOrPrtry></Tp><Ref>${b.reference}</Ref></CdtrRefInf></Strd></RmtInf>`;
      const debit = b.kind === 'reversal';
      // A returned transfer: a debit repeating the reference, with the return reason (AC04: account closed).
      return (
        `<Ntry><Amt Ccy="${currency}">${b.amount}</Amt><CdtDbtInd>${debit ? 'DBIT' : 'CRDT'}</CdtDbtInd>` +
        `<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>${on}</Dt></BookgDt><ValDt><Dt>${on}</Dt></ValDt><AcctSvcrRef>${b.bankRef}</AcctSvcrRef>` +
        `<NtryDtls><TxDtls><Refs><AcctSvcrRef>${b.bankRef}</AcctSvcrRef><EndToEndId>NOTPROVIDED</EndToEndId></Refs>` +
        `<Amt Ccy="${currency}">${b.amount}</Amt><CdtDbtInd>${debit ? 'DBIT' : 'CRDT'}</CdtDbtInd>` +
        `<RltdPties><CdtrAcct><Id><IBAN>${account}</IBAN></Id></CdtrAcct></RltdPties>${ref}` +
        `${debit ? '<RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>' : ''}</TxDtls></NtryDtls></Ntry>`
      );
    };
    return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>${msgId}</MsgId><CreDtTm>${today}T18:00:00+01:00</CreDtTm></GrpHdr>
    <Ntfctn><Id>${msgId}-1</Id><Acct><Id><IBAN>${account}</IBAN></Id><Ccy>${currency}</Ccy></Acct>
      ${entries.map(ntry).join('\n      ')}
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>`;
  }
}
