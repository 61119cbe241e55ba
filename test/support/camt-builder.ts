/**
 * camt.054 notifications as a bank writes them, spelt out element by element
 * in the tests (not made by the engine's own reader or writer): one entry
 * (Ntry) per booking, its transactions (TxDtls) with the QR reference.
 */
export const QR_IBAN = 'CH4431999123000889012';

export const tx = (o: { ref?: string; amount?: string; qrr?: string; rtr?: string; cd?: string }) =>
  `<TxDtls>${o.ref ? `<Refs><AcctSvcrRef>${o.ref}</AcctSvcrRef></Refs>` : ''}${o.amount ? `<Amt Ccy="CHF">${o.amount}</Amt>` : ''}${o.cd ? `<CdtDbtInd>${o.cd}</CdtDbtInd>` : ''}` +
  `<RltdPties><CdtrAcct><Id><IBAN>${QR_IBAN}</IBAN></Id></CdtrAcct></RltdPties>` +
  (o.qrr ? `<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Prtry>QRR</Prtry></CdOrPrtry></Tp><Ref>${o.qrr}</Ref></CdtrRefInf></Strd></RmtInf>` : '') +
  (o.rtr ? `<RtrInf><Rsn><Cd>${o.rtr}</Cd></Rsn></RtrInf>` : '') +
  '</TxDtls>';

export const ntry = (o: { ref: string; amount: string; cd?: string; reversal?: boolean; date?: string; txs: string[]; sts?: string }) =>
  `<Ntry><Amt Ccy="CHF">${o.amount}</Amt><CdtDbtInd>${o.cd ?? 'CRDT'}</CdtDbtInd>${o.reversal ? '<RvslInd>true</RvslInd>' : ''}` +
  `<Sts>${o.sts ?? '<Cd>BOOK</Cd>'}</Sts><BookgDt><Dt>${o.date ?? '2026-12-14'}</Dt></BookgDt><AcctSvcrRef>${o.ref}</AcctSvcrRef>` +
  `<NtryDtls>${o.txs.join('')}</NtryDtls></Ntry>`;

export function camt(msgId: string, entries: string[], version = '08'): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.${version}">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>${msgId}</MsgId><CreDtTm>2026-12-14T18:00:00+01:00</CreDtTm></GrpHdr>
    <Ntfctn><Id>${msgId}-N1</Id><Acct><Id><IBAN>${QR_IBAN}</IBAN></Id></Acct>
      ${entries.join('\n      ')}
    </Ntfctn>
  </BkToCstmrDbtCdtNtfctn>
</Document>`;
}
