import { XMLBuilder } from 'fast-xml-parser';

/** A credit to write into a notification, as a bank would book it. */
export interface CreditToWrite {
  id: string;
  amount: string;
  currency: string;
  bookingDate: string;
  reference?: { type: 'QRR' | 'SCOR'; value: string };
  message?: string;
  debtorName?: string;
  account: string;
}

/**
 * Writes a camt.054.001.08 bank-to-customer notification with booked
 * credits: what the demo "receives from the bank" for its pro-formas, and
 * what tests feed the importer. Amounts are written as given (decimal strings).
 */
export function writeCamt054(messageId: string, createdAt: string, credits: CreditToWrite[]): string {
  const entries = credits.map((c) => ({
    Amt: { '#text': c.amount, '@_Ccy': c.currency },
    CdtDbtInd: 'CRDT',
    RvslInd: 'false',
    Sts: { Cd: 'BOOK' },
    BookgDt: { Dt: c.bookingDate },
    ValDt: { Dt: c.bookingDate },
    AcctSvcrRef: c.id,
    BkTxCd: { Domn: { Cd: 'PMNT', Fmly: { Cd: 'RCDT', SubFmlyCd: 'VCOM' } } },
    NtryDtls: {
      TxDtls: {
        Refs: { AcctSvcrRef: c.id, EndToEndId: 'NOTPROVIDED' },
        Amt: { '#text': c.amount, '@_Ccy': c.currency },
        CdtDbtInd: 'CRDT',
        RltdPties: {
          ...(c.debtorName ? { Dbtr: { Pty: { Nm: c.debtorName } } } : {}),
          CdtrAcct: { Id: { IBAN: c.account } },
        },
        RmtInf: {
          ...(c.message ? { Ustrd: c.message } : {}),
          ...(c.reference
            ? {
                Strd: {
                  CdtrRefInf: {
                    Tp: { CdOrPrtry: c.reference.type === 'QRR' ? { Prtry: 'QRR' } : { Cd: 'SCOR' } },
                    Ref: c.reference.value,
                  },
                },
              }
            : {}),
        },
      },
    },
  }));
  const doc = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    Document: {
      '@_xmlns': 'urn:iso:std:iso:20022:tech:xsd:camt.054.001.08',
      BkToCstmrDbtCdtNtfctn: {
        GrpHdr: { MsgId: messageId, CreDtTm: createdAt },
        Ntfctn: {
          Id: `${messageId}-1`,
          CreDtTm: createdAt,
          Acct: { Id: { IBAN: credits[0]?.account ?? '' } },
          Ntry: entries,
        },
      },
    },
  };
  return new XMLBuilder({ ignoreAttributes: false, format: true, suppressEmptyNode: true }).build(doc) as string;
}
