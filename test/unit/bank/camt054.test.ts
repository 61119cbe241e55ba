import { readFileSync } from 'node:fs';
import { Decimal } from 'decimal.js';
import { isQRIBAN, isValidIBAN } from 'ibantools';
import { describe, expect, it } from 'vitest';
import { Camt054Error, parseCamt054, type BankStatement } from '../../../shared/adapters/bank/camt054.ts';
import { ValidationError } from '../../../shared/domain/errors.ts';
import { isCreditorReference, isQrReference } from '../../../shared/domain/payment-reference.ts';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/camt054/${name}`, import.meta.url), 'utf8');

const V04 = fixture('camt054-001-04-credits.xml');
const V08 = fixture('camt054-001-08-batch.xml');

const QRR = '210000000003139471430009017';
const QRR_INV_42 = '000000000000120260000000426';
const QRR_INV_43 = '000000000000120260000000434';
const SCOR = 'RF18539007547034';
const ACCOUNT = 'CH9300762011623852957';
const QR_IBAN = 'CH4431999123000889012';

/** A minimal document around some entries, for the cases the fixtures do not need to carry. */
function camt(entries: string, { version = '08', ntfctn = '' } = {}): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.${version}">
  <BkToCstmrDbtCdtNtfctn>
    <GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-03-16T10:00:00+01:00</CreDtTm></GrpHdr>
    <Ntfctn>
      <Id>N1</Id>
      <Acct><Id><IBAN>${ACCOUNT}</IBAN></Id></Acct>
      ${entries}
    </Ntfctn>${ntfctn}
  </BkToCstmrDbtCdtNtfctn>
</Document>`;
}

function entry({ amt = '<Amt Ccy="CHF">10.00</Amt>', cd = 'CRDT', sts = '<Sts><Cd>BOOK</Cd></Sts>', ref = '<AcctSvcrRef>R1</AcctSvcrRef>', rest = '', details = '' } = {}): string {
  return `<Ntry>${amt}<CdtDbtInd>${cd}</CdtDbtInd>${sts}<BookgDt><Dt>2026-03-16</Dt></BookgDt>${ref}${rest}${details}</Ntry>`;
}

const amountOf = (text: string): string => {
  const s = parseCamt054(camt(entry({ amt: `<Amt Ccy="CHF">${text}</Amt>` })));
  if (s.unreadable.length > 0) throw new Error(s.unreadable[0]!.reason);
  return s.credits[0]!.amount;
};

/** An entry the reader sets aside: why, while the rest of the file is still read. */
function unreadable(xml: string): string {
  const s = parseCamt054(xml);
  expect(s.unreadable, 'one entry set aside').toHaveLength(1);
  return s.unreadable[0]!.reason;
}

/** Every leaf of the statement: no number may appear anywhere, amounts included. */
function leaves(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.flatMap(leaves);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(leaves);
  return [value];
}

function errorOf(fn: () => unknown): Camt054Error {
  try {
    fn();
  } catch (e) {
    if (e instanceof Camt054Error) return e;
    throw e;
  }
  throw new Error('expected a Camt054Error');
}

describe('camt.054.001.04 (SPS): QR-bill credits, a SCOR credit, an unstructured one, a debit and a reversal', () => {
  const statement = parseCamt054(V04);

  it('reads the group header and the notifications', () => {
    expect(statement.version).toBe('camt.054.001.04');
    expect(statement.messageId).toBe('20260315375204000006');
    expect(statement.createdAt).toBe('2026-03-15T20:15:02.0+01:00');
    expect(statement.notifications).toEqual([
      { id: '20260315375204000006-CHF', createdAt: '2026-03-15T20:15:02.0+01:00', account: { iban: ACCOUNT, currency: 'CHF' } },
      { id: '20260315375204000006-EUR', createdAt: '2026-03-15T20:15:02.0+01:00', account: { iban: 'CH5204835012345671000', currency: 'EUR' } },
    ]);
  });

  it('turns the four booked credits into BankCredits, every field exact', () => {
    expect(statement.credits).toEqual([
      {
        id: 'ZV20260315/000417/1',
        amount: '1250.05',
        currency: 'CHF',
        bookingDate: '2026-03-15',
        valueDate: '2026-03-15',
        account: QR_IBAN,
        reference: { type: 'QRR', value: QRR },
        message: 'Rechnung INV-2026-000017',
        debtor: { name: 'Müller & Söhne AG', iban: 'CH5604835012345678009' },
        endToEndId: 'E2E-7CF1A2B3',
      },
      {
        id: 'ZV20260315/000418/1',
        amount: '0.10',
        currency: 'CHF',
        bookingDate: '2026-03-15',
        valueDate: '2026-03-16',
        account: QR_IBAN,
        reference: { type: 'QRR', value: QRR_INV_42 },
        debtor: { name: 'Anna Beispiel', iban: 'CH7609000000123456789' },
      },
      {
        id: 'ZV20260315/000419/1',
        amount: '480.00',
        currency: 'CHF',
        bookingDate: '2026-03-15',
        valueDate: '2026-03-15',
        account: ACCOUNT,
        message: 'Hosting Paket Business 2026 Kunde 10042, Rechnung vom 1.3.2026',
        debtor: { name: 'Peter Muster', iban: 'CH5604835012345678009' },
        endToEndId: 'PM-2026-03-14-77',
      },
      {
        id: 'ZV20260315/000422/1',
        amount: '99.50',
        currency: 'EUR',
        bookingDate: '2026-03-15',
        valueDate: '2026-03-15',
        account: 'CH5204835012345671000',
        reference: { type: 'SCOR', value: SCOR },
        debtor: { name: 'Beispiel GmbH', iban: 'DE89370400440532013000' },
        endToEndId: 'SEPA-E2E-20260314-01',
      },
    ]);
  });

  it('lists the debit and the reversal as ignored, with the reason', () => {
    expect(statement.ignored).toEqual([
      {
        id: 'ZV20260315/000420/1',
        notificationId: '20260315375204000006-CHF',
        reason: 'debit',
        detail: 'debit entry (CdtDbtInd=DBIT)',
        creditDebit: 'DBIT',
        status: 'BOOK',
        amount: '1500.00',
        currency: 'CHF',
        bookingDate: '2026-03-15',
      },
      {
        id: 'ZV20260315/000421/1',
        notificationId: '20260315375204000006-CHF',
        reason: 'reversal',
        detail: 'reversal (RvslInd=true) of a debit booking, booked as CRDT',
        creditDebit: 'CRDT',
        status: 'BOOK',
        amount: '35.00',
        currency: 'CHF',
        bookingDate: '2026-03-15',
      },
    ]);
  });

  it('carries valid references and IBANs, so a matcher can rely on them', () => {
    const refs = statement.credits.flatMap((c) => (c.reference ? [c.reference] : []));
    expect(refs.filter((r) => r.type === 'QRR').every((r) => isQrReference(r.value))).toBe(true);
    expect(refs.filter((r) => r.type === 'SCOR').every((r) => isCreditorReference(r.value))).toBe(true);
    const ibans = [...statement.credits.flatMap((c) => [c.account, c.debtor?.iban]), ...statement.notifications.map((n) => n.account.iban)];
    expect(ibans.filter((i): i is string => i !== undefined).every((i) => isValidIBAN(i))).toBe(true);
    expect(isQRIBAN(QR_IBAN)).toBe(true);
  });

  it('never lets a number in: every leaf is a string', () => {
    expect(leaves(statement).every((v) => typeof v === 'string')).toBe(true);
  });
});

describe('camt.054.001.08: a batch entry with 3 transactions', () => {
  const statement = parseCamt054(V08);

  it('reads the header and the Sts/Cd form of the status', () => {
    expect(statement.version).toBe('camt.054.001.08');
    expect(statement.messageId).toBe('MSG-20260316-CAMT054-0001');
    expect(statement.createdAt).toBe('2026-03-16T18:30:00.000+01:00');
    expect(statement.notifications).toEqual([{ id: 'NTF-20260316-01', createdAt: '2026-03-16T18:30:00.000+01:00', account: { iban: ACCOUNT, currency: 'CHF' } }]);
  });

  it('yields one credit per transaction, each with its own amount and id, plus the single credit', () => {
    expect(statement.credits).toEqual([
      {
        id: 'CH20260316BT0001-1',
        amount: '1250.05',
        currency: 'CHF',
        bookingDate: '2026-03-16',
        valueDate: '2026-03-16',
        account: QR_IBAN,
        reference: { type: 'QRR', value: QRR },
        debtor: { name: 'Müller & Söhne AG', iban: 'CH5604835012345678009' },
        endToEndId: 'E2E-QR-0001',
      },
      {
        // no TxDtls/Amt: the amount comes from AmtDtls/TxAmt/Amt; NOTPROVIDED is no end-to-end id
        id: 'CH20260316BT0001-2',
        amount: '2000.00',
        currency: 'CHF',
        bookingDate: '2026-03-16',
        valueDate: '2026-03-16',
        account: QR_IBAN,
        reference: { type: 'QRR', value: QRR_INV_42 },
        message: 'Auftrag 7781 Server-Miete Q2',
        debtor: { name: 'Anna Beispiel', iban: 'CH7609000000123456789' },
      },
      {
        // no Refs/AcctSvcrRef: the entry's reference plus the transaction's index
        id: 'CH20260316BT0001:3',
        amount: '175.45',
        currency: 'CHF',
        bookingDate: '2026-03-16',
        valueDate: '2026-03-16',
        account: ACCOUNT,
        message: 'Domain example.ch 2026 Kunde 10042',
        debtor: { name: 'Peter Muster' },
        endToEndId: 'E2E-UST-0003',
      },
      {
        // no AcctSvcrRef at all: NtfctnId:entry:tx; one transaction without amount takes the entry's;
        // the untyped reference is recognised as a QR reference by its check digit; DtTm gives the date
        id: 'NTF-20260316-01:2:1',
        amount: '89.90',
        currency: 'CHF',
        bookingDate: '2026-03-16',
        valueDate: '2026-03-17',
        account: ACCOUNT,
        reference: { type: 'QRR', value: QRR_INV_43 },
        endToEndId: 'E2E-0090',
      },
    ]);
  });

  it('splits the batch exactly: the 3 amounts add up to the entry amount', () => {
    const batch = statement.credits.filter((c) => c.id.startsWith('CH20260316BT0001'));
    expect(batch).toHaveLength(3);
    expect(batch.reduce((s, c) => s.plus(c.amount), new Decimal(0)).toFixed(2)).toBe('3425.50');
  });

  it('ignores the pending credit and takes the reversal of an earlier credit as a reversal', () => {
    expect(statement.ignored).toEqual([
      {
        id: 'CH20260316PD0007',
        notificationId: 'NTF-20260316-01',
        reason: 'not_booked',
        detail: 'entry status PDNG, not BOOK',
        creditDebit: 'CRDT',
        status: 'PDNG',
        amount: '500.00',
        currency: 'CHF',
      },
    ]);
    expect(statement.reversals).toEqual([expect.objectContaining({ id: 'CH20260316RV0002', kind: 'reversal', amount: '250.00', currency: 'CHF', bookingDate: '2026-03-16' })]);
  });

  it('never lets a number in', () => {
    expect(leaves(statement).every((v) => typeof v === 'string')).toBe(true);
  });
});

describe('amounts are text, checked and written with exactly 2 decimals', () => {
  it('keeps them exact, even beyond what a float can hold', () => {
    expect(amountOf('1250.05')).toBe('1250.05');
    expect(amountOf('0.10')).toBe('0.10');
    expect(amountOf('0.1')).toBe('0.10');
    expect(amountOf('12')).toBe('12.00');
    expect(amountOf('0012.50')).toBe('12.50');
    expect(amountOf('7.000')).toBe('7.00');
    expect(amountOf('0.00')).toBe('0.00');
    expect(amountOf('9007199254740993.01')).toBe('9007199254740993.01');
  });

  it('refuses more than 2 decimals, signs, exponents, separators and empty amounts', () => {
    for (const bad of ['12.345', '0.001']) expect(() => amountOf(bad)).toThrow(/Ntfctn\[1\]\/Ntry\[1\]\/Amt has more than 2 decimals/);
    for (const bad of ['1,250.05', "1'250.05", '1e3', '-5.00', '+5.00', '.50', '12.', 'NaN', '0x10', 'CHF 5.00']) {
      expect(() => amountOf(bad), bad).toThrow(/Ntry\[1\]\/Amt is not a decimal amount/);
    }
    expect(() => amountOf('')).toThrow(/element Document\/BkToCstmrDbtCdtNtfctn\/Ntfctn\[1\]\/Ntry\[1\]\/Amt is empty/);
  });

  it('requires the Ccy attribute, as an ISO 4217 code', () => {
    expect(unreadable(camt(entry({ amt: '<Amt>10.00</Amt>' })))).toBe('missing attribute Ccy on Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]/Amt');
    expect(unreadable(camt(entry({ amt: '<Amt Ccy="chf">10.00</Amt>' })))).toMatch(/Ccy .* is not an ISO 4217 code: "chf"/);
  });

  it('checks transaction amounts the same way, with their path', () => {
    const details = '<NtryDtls><TxDtls><Amt Ccy="CHF">5.005</Amt></TxDtls><TxDtls><Amt Ccy="CHF">5.00</Amt></TxDtls></NtryDtls>';
    expect(unreadable(camt(entry({ details })))).toContain('Ntry[1]/NtryDtls[1]/TxDtls[1]/Amt has more than 2 decimals: "5.005"');
  });

  it('sets aside an entry whose transactions do not add up to it, or are in another currency, and credits nothing of it', () => {
    const inflated = '<NtryDtls><TxDtls><Amt Ccy="CHF">1000.00</Amt></TxDtls></NtryDtls>';
    const s = parseCamt054(camt(entry({ amt: '<Amt Ccy="CHF">1.00</Amt>', details: inflated }) + entry({ ref: '<AcctSvcrRef>R2</AcctSvcrRef>' })));
    expect(s.unreadable).toEqual([
      {
        id: 'R1',
        notificationId: 'N1',
        reason: 'the transactions of Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1] add up to 1000.00 CHF, the entry says 1.00 CHF',
        amount: '1.00',
        currency: 'CHF',
        bookingDate: '2026-03-16',
      },
    ]);
    expect(s.credits.map((c) => [c.id, c.amount])).toEqual([['R2', '10.00']]);
    const euro = '<NtryDtls><TxDtls><Amt Ccy="EUR">10.00</Amt></TxDtls></NtryDtls>';
    expect(unreadable(camt(entry({ details: euro })))).toMatch(/a transaction of .*Ntry\[1\] is in EUR, the entry in CHF/);
  });
});

describe('entries and transactions', () => {
  it('makes one credit of an entry without details, on the notification account', () => {
    expect(parseCamt054(camt(entry({ ref: '' }), { version: '04' }).replace('<Sts><Cd>BOOK</Cd></Sts>', '<Sts>BOOK</Sts>')).credits).toEqual([
      { id: 'N1:1:1', amount: '10.00', currency: 'CHF', bookingDate: '2026-03-16', account: ACCOUNT },
    ]);
  });

  it('collects the transactions of several NtryDtls blocks', () => {
    const details = '<NtryDtls><TxDtls><Amt Ccy="CHF">4.00</Amt></TxDtls></NtryDtls><NtryDtls><TxDtls><Amt Ccy="CHF">6.00</Amt></TxDtls></NtryDtls>';
    expect(parseCamt054(camt(entry({ details }))).credits.map((c) => [c.id, c.amount])).toEqual([
      ['R1:1', '4.00'],
      ['R1:2', '6.00'],
    ]);
  });

  it('ignores a debit transaction inside a credit entry', () => {
    const details = '<NtryDtls><TxDtls><Amt Ccy="CHF">12.00</Amt></TxDtls><TxDtls><Amt Ccy="CHF">2.00</Amt><CdtDbtInd>DBIT</CdtDbtInd></TxDtls></NtryDtls>';
    const s = parseCamt054(camt(entry({ details })));
    expect(s.credits.map((c) => [c.id, c.amount])).toEqual([['R1:1', '12.00']]);
    expect(s.ignored).toEqual([
      {
        id: 'R1:2',
        notificationId: 'N1',
        reason: 'debit',
        detail: 'debit transaction (TxDtls/CdtDbtInd=DBIT) in a credit entry',
        creditDebit: 'DBIT',
        status: 'BOOK',
        amount: '2.00',
        currency: 'CHF',
        bookingDate: '2026-03-16',
      },
    ]);
  });

  it('ignores INFO and proprietary statuses, and reads RvslInd as xs:boolean', () => {
    const s = parseCamt054(
      camt(
        entry({ sts: '<Sts><Cd>INFO</Cd></Sts>', ref: '<AcctSvcrRef>A</AcctSvcrRef>' }) +
          entry({ sts: '<Sts><Prtry>HOLD</Prtry></Sts>', ref: '<AcctSvcrRef>B</AcctSvcrRef>' }) +
          entry({ ref: '<AcctSvcrRef>C</AcctSvcrRef>' }).replace('<CdtDbtInd>CRDT</CdtDbtInd>', '<CdtDbtInd>CRDT</CdtDbtInd><RvslInd>1</RvslInd>') +
          entry({ ref: '<AcctSvcrRef>D</AcctSvcrRef>' }).replace('<CdtDbtInd>CRDT</CdtDbtInd>', '<CdtDbtInd>CRDT</CdtDbtInd><RvslInd>0</RvslInd>'),
      ),
    );
    expect(s.ignored.map((i) => [i.id, i.reason, i.status])).toEqual([
      ['A', 'not_booked', 'INFO'],
      ['B', 'not_booked', 'HOLD'],
      ['C', 'reversal', 'BOOK'],
    ]);
    expect(s.credits.map((c) => c.id)).toEqual(['D']);
  });

  it('uses NtfctnId, entry index and tx index across notifications when the bank gives no reference', () => {
    const second = `<Ntfctn><Id>N2</Id><Acct><Id><Othr><Id>12-345-6</Id></Othr></Id></Acct>${entry({ ref: '' })}${entry({ ref: '' })}</Ntfctn>`;
    const s = parseCamt054(camt(entry({ ref: '' }), { ntfctn: second }));
    expect(s.credits.map((c) => c.id)).toEqual(['N1:1:1', 'N2:1:1', 'N2:2:1']);
    expect(s.notifications[1]).toEqual({ id: 'N2', account: {} });
    expect(s.credits[1]).not.toHaveProperty('account');
  });

  it('reads two credits that share a booking reference, for the import to tell a duplicate from a conflict', () => {
    const s = parseCamt054(camt(entry() + entry({ amt: '<Amt Ccy="CHF">11.00</Amt>' })));
    expect(s.credits.map((c) => [c.id, c.amount])).toEqual([
      ['R1', '10.00'],
      ['R1', '11.00'],
    ]);
  });

  it('takes a returned payment and a reversal of a credit as reversals, with the reference they repeat', () => {
    const back = `<NtryDtls><TxDtls><Refs><EndToEndId>E2E-1</EndToEndId></Refs><Amt Ccy="CHF">10.00</Amt><RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Prtry>QRR</Prtry></CdOrPrtry></Tp><Ref>${QRR}</Ref></CdtrRefInf></Strd></RmtInf><RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf></TxDtls></NtryDtls>`;
    const s = parseCamt054(
      camt(
        entry({ cd: 'DBIT', ref: '<AcctSvcrRef>RET-1</AcctSvcrRef>', details: back }) +
          entry({ cd: 'DBIT', ref: '<AcctSvcrRef>RV-1</AcctSvcrRef>' }).replace('<CdtDbtInd>DBIT</CdtDbtInd>', '<CdtDbtInd>DBIT</CdtDbtInd><RvslInd>true</RvslInd>'),
      ),
    );
    expect(s.reversals).toEqual([
      {
        id: 'RET-1',
        notificationId: 'N1',
        kind: 'return',
        amount: '10.00',
        currency: 'CHF',
        bookingDate: '2026-03-16',
        account: ACCOUNT,
        reference: { type: 'QRR', value: QRR },
        endToEndId: 'E2E-1',
        reason: 'AC04',
      },
      { id: 'RV-1', notificationId: 'N1', kind: 'reversal', amount: '10.00', currency: 'CHF', bookingDate: '2026-03-16', account: ACCOUNT },
    ]);
    expect([s.credits, s.ignored]).toEqual([[], []]);
  });

  it('lists a notification without entries and yields no credits', () => {
    const s = parseCamt054(camt(''));
    expect(s.notifications).toEqual([{ id: 'N1', account: { iban: ACCOUNT } }]);
    expect([s.credits, s.ignored]).toEqual([[], []]);
  });
});

describe('remittance information', () => {
  const withRmtInf = (rmtInf: string) => parseCamt054(camt(entry({ details: `<NtryDtls><TxDtls><RmtInf>${rmtInf}</RmtInf></TxDtls></NtryDtls>` }))).credits[0]!;
  const strd = (inner: string) => `<Strd><CdtrRefInf>${inner}</CdtrRefInf></Strd>`;

  it('classifies an untyped reference by its check digits, else NON', () => {
    expect(withRmtInf(strd(`<Ref>${SCOR}</Ref>`)).reference).toEqual({ type: 'SCOR', value: SCOR });
    expect(withRmtInf(strd(`<Ref>${QRR}</Ref>`)).reference).toEqual({ type: 'QRR', value: QRR });
    expect(withRmtInf(strd('<Ref>INV-2026-17</Ref>')).reference).toEqual({ type: 'NON', value: 'INV-2026-17' });
    expect(withRmtInf(strd('<Tp><CdOrPrtry><Cd>DISP</Cd></CdOrPrtry></Tp><Ref>4711</Ref>')).reference).toEqual({ type: 'NON', value: '4711' });
  });

  it('removes spaces from a reference as printed on the slip and upper-cases it', () => {
    expect(withRmtInf(strd('<Tp><CdOrPrtry><Prtry>QRR</Prtry></CdOrPrtry></Tp><Ref>21 00000 00003 13947 14300 09017</Ref>')).reference).toEqual({ type: 'QRR', value: QRR });
    expect(withRmtInf(strd('<Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>rf18 5390 0754 7034</Ref>')).reference).toEqual({ type: 'SCOR', value: SCOR });
  });

  it('prefers Ustrd for the message and takes the first Strd holding a reference', () => {
    const c = withRmtInf(`<Ustrd>first</Ustrd><Ustrd>second</Ustrd><Strd><AddtlRmtInf>ignored</AddtlRmtInf></Strd>${strd(`<Ref>${SCOR}</Ref>`)}`);
    expect(c.message).toBe('first second');
    expect(c.reference).toEqual({ type: 'SCOR', value: SCOR });
  });

  it('leaves message and reference out when there is no remittance information', () => {
    const c = withRmtInf('');
    expect(c).not.toHaveProperty('message');
    expect(c).not.toHaveProperty('reference');
  });
});

describe('document forms', () => {
  it('reads a document with a namespace prefix like the default namespace', () => {
    const prefixed = V04.replace(/<(\/?)(?=[A-Za-z])(?!xsi)/g, '<$1ns2:').replace('xmlns="urn', 'xmlns:ns2="urn');
    expect(prefixed).toContain('<ns2:Document xmlns:ns2="urn:iso:std:iso:20022:tech:xsd:camt.054.001.04"');
    expect(parseCamt054(prefixed)).toEqual(parseCamt054(V04));
  });

  it('accepts a byte-order mark and the .04 to .13 namespaces', () => {
    expect(parseCamt054(`\uFEFF${V08}`).credits).toHaveLength(4);
    for (const v of ['02', '04', '06', '08', '10', '13']) expect(parseCamt054(camt(entry(), { version: v })).version).toBe(`camt.054.001.${v}`);
  });

  it('decodes XML entities in names and messages', () => {
    expect(parseCamt054(V04).credits[0]!.debtor!.name).toBe('Müller & Söhne AG');
  });
});

describe('errors name what is wrong', () => {
  const expectError = (xml: string, message: string | RegExp, path?: string) => {
    const err = errorOf(() => parseCamt054(xml));
    expect(err.message).toMatch(message);
    if (path !== undefined) expect(err.path).toBe(path);
    return err;
  };

  it('are ValidationErrors with a stable code', () => {
    const err = errorOf(() => parseCamt054(fixture('missing-msgid.xml')));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.code).toBe('invalid_camt054');
    expect(err.status).toBe(400);
  });

  it('reports a truncated file', () => {
    expectError(
      fixture('malformed-truncated.xml'),
      'camt.054: malformed XML: the document ends before these elements are closed: Document/BkToCstmrDbtCdtNtfctn/Ntfctn/Ntry/BookgDt/Dt (truncated file?)',
    );
  });

  it('reports malformed XML with line and column', () => {
    expectError(camt(entry()).replace('</CdtDbtInd>', '</CdtDbtIn>'), /^camt\.054: malformed XML at line \d+, column \d+: Expected closing tag 'CdtDbtInd'/);
    expectError('{"MsgId": 1}', /malformed XML/);
    expectError('', 'camt.054: the document is empty');
    expectError('   \n', 'camt.054: the document is empty');
  });

  it('refuses another message or another version', () => {
    expectError(
      fixture('camt053-statement.xml'),
      'camt.054: not a camt.054 document: namespace "urn:iso:std:iso:20022:tech:xsd:camt.053.001.04", expected urn:iso:std:iso:20022:tech:xsd:camt.054.001.NN',
      'Document',
    );
    expectError(camt(entry()).replace('camt.054.001.08', 'pain.001.001.09'), /not a camt\.054 document: namespace "urn:iso:std:iso:20022:tech:xsd:pain\.001\.001\.09"/);
    expectError(camt(entry()).replace('camt.054.001.08', 'camt.054.001.99'), /unsupported camt\.054 version "99"/);
    expectError(
      camt(entry()).replace(' xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"', ''),
      'camt.054: the Document element has no namespace; expected urn:iso:std:iso:20022:tech:xsd:camt.054.001.NN',
    );
    expectError('<Invoice><Id>1</Id></Invoice>', 'camt.054: the root element is <Invoice>, expected <Document>');
  });

  it('refuses a DOCTYPE', () => {
    expectError(`<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY x "boom">]>${camt(entry()).replace(/^<\?xml[^>]*>/, '')}`, 'camt.054: a DOCTYPE declaration is not allowed');
  });

  it('names the missing element by its path', () => {
    expectError(fixture('missing-msgid.xml'), 'camt.054: missing element Document/BkToCstmrDbtCdtNtfctn/GrpHdr/MsgId', 'Document/BkToCstmrDbtCdtNtfctn/GrpHdr/MsgId');
    expectError(
      camt(entry()).replace('<BkToCstmrDbtCdtNtfctn>', '<BkToCstmrStmt>').replace('</BkToCstmrDbtCdtNtfctn>', '</BkToCstmrStmt>'),
      'camt.054: missing element Document/BkToCstmrDbtCdtNtfctn',
    );
    expectError(camt(entry()).replace(/<Ntfctn>[\s\S]*<\/Ntfctn>/, ''), 'camt.054: missing element Document/BkToCstmrDbtCdtNtfctn/Ntfctn');
    expectError(camt(entry()).replace('<Id>N1</Id>', ''), 'camt.054: missing element Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Id');
    expectError(camt(entry()).replace(/<Acct>.*?<\/Acct>/, ''), 'camt.054: missing element Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Acct');
    // An entry missing an element is set aside with the path; the file's other entries are read.
    expect(unreadable(camt(entry() + entry({ ref: '' }).replace('<CdtDbtInd>CRDT</CdtDbtInd>', '')))).toBe(
      'missing element Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[2]/CdtDbtInd',
    );
    expect(unreadable(camt(entry({ sts: '' })))).toBe('missing element Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]/Sts');
    expect(unreadable(camt(entry({ amt: '' })))).toBe('missing element Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]/Amt');
    expectError(camt(entry()).replace('<MsgId>MSG-1</MsgId>', '<MsgId></MsgId>'), 'camt.054: element Document/BkToCstmrDbtCdtNtfctn/GrpHdr/MsgId is empty');
  });

  it('sets aside an amount with 3 decimals and a batch it cannot split, with the path', () => {
    expect(unreadable(fixture('amount-three-decimals.xml'))).toBe('element Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]/Amt has more than 2 decimals: "12.345"');
    expect(unreadable(fixture('batch-without-amounts.xml'))).toBe(
      "missing element Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]/NtryDtls[1]/TxDtls[2]/Amt (or AmtDtls/TxAmt/Amt): an entry with 2 transactions needs each one's amount",
    );
  });

  it('sets aside invalid codes, booleans and dates', () => {
    expect(unreadable(camt(entry({ cd: 'CREDIT' })))).toBe('element Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[1]/CdtDbtInd must be CRDT or DBIT, got "CREDIT"');
    expect(unreadable(camt(entry()).replace('<CdtDbtInd>CRDT</CdtDbtInd>', '<CdtDbtInd>CRDT</CdtDbtInd><RvslInd>yes</RvslInd>'))).toContain(
      'Ntry[1]/RvslInd is not a boolean: "yes"',
    );
    expect(unreadable(camt(entry()).replace('<Dt>2026-03-16</Dt>', '<Dt>16.03.2026</Dt>'))).toContain('Ntry[1]/BookgDt/Dt is not an ISO date: "16.03.2026"');
    expect(unreadable(camt(entry()).replace('<BookgDt><Dt>2026-03-16</Dt></BookgDt>', '<BookgDt></BookgDt>'))).toContain('Ntry[1]/BookgDt has neither Dt nor DtTm');
    expect(unreadable(camt(entry()).replace('<Amt Ccy="CHF">10.00</Amt>', '<Amt Ccy="CHF">10.00</Amt><Amt Ccy="CHF">11.00</Amt>'))).toContain(
      'Ntry[1]/Amt occurs 2 times, expected at most once',
    );
  });

  it('throws a Camt054Error, never a parser internal, and accounts for every entry it does not throw on', () => {
    const s: BankStatement = parseCamt054(V04);
    expect(s.credits.length + s.ignored.length + s.reversals.length + s.unreadable.length).toBe(6);
    expect(() => parseCamt054('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.04"><BkToCstmrDbtCdtNtfctn>')).toThrow(Camt054Error);
  });
});
