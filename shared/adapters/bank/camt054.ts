/**
 * ISO 20022 camt.054 (bank-to-customer debit/credit notification) reader, as
 * Swiss banks send it for incoming payments (Swiss Payment Standards, versions
 * camt.054.001.04 and camt.054.001.08; the other published versions share the
 * parts read here and are accepted too).
 *
 * Booked credits become `BankCredit`s; reversals and returned payments become
 * `BankReversal`s (they reopen what they paid); plain debits and entries that
 * are not booked (pending, information only) are listed in `ignored` with the
 * reason; an entry that cannot be read as it stands (transactions that do not
 * add up to it, a missing amount, ...) is listed in `unreadable` with the
 * reason while the rest of the file is read. Nothing the bank reported
 * disappears silently.
 *
 * Amounts never go through a JS number: the parser keeps every text value as a
 * string (parseTagValue off) and amounts are checked and normalised as text
 * to exactly 2 decimals. A document that is not well-formed, not camt.054, or
 * lacks an element this reader needs raises a `Camt054Error` naming the
 * element by its path, e.g. `Document/BkToCstmrDbtCdtNtfctn/Ntfctn[1]/Ntry[2]/Amt`.
 *
 * The input is a JS string: decoding the file's bytes (UTF-8 for SPS) is the
 * caller's job.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ValidationError } from '../../domain/errors.ts';
import { isCreditorReference, isQrReference } from '../../domain/payment-reference.ts';

export interface BankNotification {
  /** Ntfctn/Id */
  id: string;
  /** Ntfctn/CreDtTm, as written by the bank */
  createdAt?: string;
  account: { iban?: string; currency?: string };
}

export interface BankCredit {
  /**
   * Unique per bank booking: the entry's AcctSvcrRef, else NtfctnId + entry
   * index + tx index ("<NtfctnId>:<entry>:<tx>", 1-based). When an entry
   * holds several transactions they cannot share the entry's reference: each
   * takes its own TxDtls/Refs/AcctSvcrRef, else "<entry AcctSvcrRef>:<tx>".
   */
  id: string;
  /** Decimal string with exactly 2 decimals, e.g. "1250.05"; never a float. */
  amount: string;
  currency: 'CHF' | 'EUR' | string;
  /** YYYY-MM-DD */
  bookingDate?: string;
  /** YYYY-MM-DD */
  valueDate?: string;
  /** The creditor account (IBAN) the money arrived on: TxDtls/RltdPties/CdtrAcct (e.g. the QR-IBAN), else the notification's account. */
  account?: string;
  /** From RmtInf/Strd/CdtrRefInf: Tp/CdOrPrtry/Prtry "QRR" or Cd "SCOR"; an untyped reference is classified by its check digits. */
  reference?: { type: 'QRR' | 'SCOR' | 'NON'; value: string };
  /** RmtInf/Ustrd lines joined by a space; without any, the Strd/AddtlRmtInf lines (the QR-bill's "additional information"). */
  message?: string;
  debtor?: { name?: string; iban?: string };
  /** Refs/EndToEndId; "NOTPROVIDED" counts as absent. */
  endToEndId?: string;
}

export type IgnoredReason = 'debit' | 'reversal' | 'not_booked';

/**
 * A booked credit taken back: a reversal (RvslInd=true) or a returned
 * payment (a DBIT entry or transaction carrying return information). It is
 * never just ignored: the import looks for what it paid and reopens it.
 */
export interface BankReversal {
  /** The same id scheme as `BankCredit.id`. */
  id: string;
  notificationId: string;
  kind: 'reversal' | 'return';
  amount: string;
  currency: string;
  bookingDate?: string;
  account?: string;
  /** The reference of the credit it takes back, when the bank repeats it. */
  reference?: { type: 'QRR' | 'SCOR' | 'NON'; value: string };
  endToEndId?: string;
  /** Return reason code (RtrInf/Rsn/Cd), e.g. AC04 closed account. */
  reason?: string;
}

/** An entry this reader could not take as it stands: set aside for review, the rest of the file is imported. */
export interface UnreadableEntry {
  id: string;
  notificationId: string;
  /** What is wrong, naming the element, e.g. "the transactions add up to 1000.00, the entry says 1.00". */
  reason: string;
  amount?: string;
  currency?: string;
  bookingDate?: string;
}

/** An entry (or a transaction of a credit entry) that is not a booked credit. */
export interface IgnoredEntry {
  /** The same scheme as `BankCredit.id`; for a whole entry the tx index is left out. */
  id: string;
  notificationId: string;
  reason: IgnoredReason;
  /** Human-readable, e.g. "reversal (RvslInd=true) of a DBIT booking". */
  detail: string;
  creditDebit: 'CRDT' | 'DBIT';
  /** Entry status: BOOK, PDNG, INFO, ... */
  status: string;
  amount: string;
  currency: string;
  bookingDate?: string;
}

export interface BankStatement {
  /** The message version, e.g. "camt.054.001.08". */
  version: string;
  messageId: string;
  createdAt: string;
  notifications: BankNotification[];
  credits: BankCredit[];
  reversals: BankReversal[];
  ignored: IgnoredEntry[];
  unreadable: UnreadableEntry[];
}

/** Malformed XML, another message type, or a missing/invalid element; `path` names the element. */
export class Camt054Error extends ValidationError {
  constructor(
    message: string,
    readonly path?: string,
  ) {
    super(`camt.054: ${message}`, 'invalid_camt054');
  }
}

/**
 * The largest notification read: a day's camt.054 of a hosting provider is
 * kilobytes to a few megabytes; the whole file is parsed in memory (about 5
 * times its size), so this keeps the import well inside its 512 MB function.
 */
export const MAX_CAMT054_BYTES = 20 * 1024 * 1024;

/** Refuses a file over the limit before it is read, naming the limit. */
export function assertCamt054Size(bytes: number, name: string): void {
  if (bytes > MAX_CAMT054_BYTES) {
    throw new Camt054Error(`${name} has ${bytes} bytes, more than the ${MAX_CAMT054_BYTES} bytes (20 MiB) a notification may have; ask the bank for daily files, or split it`);
  }
}

export const CAMT054_NAMESPACE_PREFIX = 'urn:iso:std:iso:20022:tech:xsd:camt.054.001.';

/** camt.054.001.02 to .13: the elements read here keep their place in all of them. */
export const SUPPORTED_CAMT054_VERSIONS: readonly string[] = ['02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12', '13'];

/** Elements that may repeat where this reader looks for them: always arrays, even with one occurrence. */
const REPEATED = new Set(['Ntfctn', 'Ntry', 'NtryDtls', 'TxDtls', 'Ustrd', 'Strd', 'AddtlRmtInf', 'AddtlNtryInf', 'AddtlTxInf', 'AdrLine']);

const localName = (name: string): string => name.slice(name.indexOf(':') + 1);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  // Every value stays the text the bank wrote: "0.10" must not become 0.1.
  parseTagValue: false,
  parseAttributeValue: false,
  numberParseOptions: { hex: false, leadingZeros: false, eNotation: false },
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Prefixes are resolved by hand (see `stripPrefixes`), so the root's xmlns:prefix stays readable.
  removeNSPrefix: false,
  isArray: (tagName, _jPath, _isLeaf, isAttribute) => !isAttribute && REPEATED.has(localName(tagName)),
});

type XmlObject = { [key: string]: unknown };

const isObject = (v: unknown): v is XmlObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Element keys lose their namespace prefix; attributes keep theirs. */
function stripPrefixes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripPrefixes);
  if (!isObject(value)) return value;
  const out: XmlObject = {};
  for (const [key, v] of Object.entries(value)) {
    const name = key.startsWith('@_') || key === '#text' ? key : localName(key);
    out[name] = stripPrefixes(v);
  }
  return out;
}

/** A parsed element and its path, for reading and for precise errors. */
class El {
  constructor(
    readonly value: unknown,
    readonly path: string,
  ) {}

  /** The elements `name` under this one, in document order (none: []). */
  all(name: string): El[] {
    const v = isObject(this.value) ? this.value[name] : undefined;
    if (v === undefined) return [];
    const list = Array.isArray(v) ? v : [v];
    return list.map((x, i) => new El(x, `${this.path}/${name}[${i + 1}]`));
  }

  opt(name: string): El | undefined {
    const v = isObject(this.value) ? this.value[name] : undefined;
    if (v === undefined) return undefined;
    if (Array.isArray(v)) throw new Camt054Error(`element ${this.path}/${name} occurs ${v.length} times, expected at most once`, `${this.path}/${name}`);
    return new El(v, `${this.path}/${name}`);
  }

  req(name: string): El {
    const el = this.opt(name);
    if (!el) throw new Camt054Error(`missing element ${this.path}/${name}`, `${this.path}/${name}`);
    return el;
  }

  /** The first element along a path of names, e.g. at('Id', 'IBAN'). */
  at(...names: string[]): El | undefined {
    return names.reduce<El | undefined>((el, name) => el?.opt(name), this);
  }

  /** The element's text; an empty element reads as undefined. */
  text(): string | undefined {
    const v = this.value;
    if (typeof v === 'string') return v === '' ? undefined : v;
    if (isObject(v)) {
      const t = v['#text'];
      const hasChildren = Object.keys(v).some((k) => !k.startsWith('@_') && k !== '#text');
      if (hasChildren) throw new Camt054Error(`element ${this.path} has child elements where text was expected`, this.path);
      return typeof t === 'string' && t !== '' ? t : undefined;
    }
    return undefined;
  }

  reqText(): string {
    const t = this.text();
    if (t === undefined) throw new Camt054Error(`element ${this.path} is empty`, this.path);
    return t;
  }

  attr(name: string): string | undefined {
    const v = isObject(this.value) ? this.value[`@_${name}`] : undefined;
    return typeof v === 'string' && v !== '' ? v : undefined;
  }

  optText(...names: string[]): string | undefined {
    return this.at(...names)?.text();
  }
}

const AMOUNT = /^(\d+)(?:\.(\d+))?$/;

/** "1250.05", "0.1" -> "0.10", "12" -> "12.00"; signs, exponents, commas and more than 2 significant decimals are refused. */
function readAmount(el: El): { amount: string; currency: string } {
  const text = el.reqText();
  const m = AMOUNT.exec(text);
  if (!m) throw new Camt054Error(`element ${el.path} is not a decimal amount: "${text}"`, el.path);
  const fraction = (m[2] ?? '').replace(/0+$/, '');
  if (fraction.length > 2) throw new Camt054Error(`element ${el.path} has more than 2 decimals: "${text}"`, el.path);
  const integer = m[1]!.replace(/^0+(?=\d)/, '');
  const currency = el.attr('Ccy');
  if (!currency) throw new Camt054Error(`missing attribute Ccy on ${el.path}`, `${el.path}/@Ccy`);
  if (!/^[A-Z]{3}$/.test(currency)) throw new Camt054Error(`attribute Ccy on ${el.path} is not an ISO 4217 code: "${currency}"`, `${el.path}/@Ccy`);
  return { amount: `${integer}.${fraction.padEnd(2, '0')}`, currency };
}

/** BookgDt/ValDt: a Dt, or the date part of a DtTm. */
function readDate(el: El | undefined): string | undefined {
  if (!el) return undefined;
  const d = el.opt('Dt') ?? el.opt('DtTm');
  if (!d) throw new Camt054Error(`element ${el.path} has neither Dt nor DtTm`, el.path);
  const text = d.reqText();
  const m = /^(\d{4}-\d{2}-\d{2})(T.*)?$/.exec(text);
  if (!m) throw new Camt054Error(`element ${d.path} is not an ISO date: "${text}"`, d.path);
  return m[1];
}

function readCreditDebit(el: El): 'CRDT' | 'DBIT' {
  const t = el.reqText();
  if (t !== 'CRDT' && t !== 'DBIT') throw new Camt054Error(`element ${el.path} must be CRDT or DBIT, got "${t}"`, el.path);
  return t;
}

function readBoolean(el: El | undefined): boolean {
  if (!el) return false;
  const t = el.reqText();
  if (t === 'true' || t === '1') return true;
  if (t === 'false' || t === '0') return false;
  throw new Camt054Error(`element ${el.path} is not a boolean: "${t}"`, el.path);
}

/** Sts is text up to .05 ("BOOK") and a choice of Cd/Prtry from .06 on (<Sts><Cd>BOOK</Cd></Sts>). */
function readStatus(ntry: El): string {
  const sts = ntry.req('Sts');
  if (isObject(sts.value) && (sts.opt('Cd') || sts.opt('Prtry'))) return (sts.opt('Cd') ?? sts.req('Prtry')).reqText();
  return sts.reqText();
}

const normaliseIban = (s: string | undefined): string | undefined => (s ? s.replace(/\s+/g, '').toUpperCase() : undefined);

function readDebtor(tx: El): BankCredit['debtor'] {
  const parties = tx.opt('RltdPties');
  if (!parties) return undefined;
  const dbtr = parties.opt('Dbtr');
  // Up to .07 the party is the Dbtr itself; from .08 on it sits in Dbtr/Pty (or Dbtr/Agt for a bank).
  const name = dbtr ? (dbtr.optText('Pty', 'Nm') ?? dbtr.optText('Nm') ?? dbtr.optText('Agt', 'FinInstnId', 'Nm')) : undefined;
  const iban = normaliseIban(parties.optText('DbtrAcct', 'Id', 'IBAN'));
  if (name === undefined && iban === undefined) return undefined;
  return { ...(name !== undefined && { name }), ...(iban !== undefined && { iban }) };
}

function readReference(rmtInf: El | undefined): BankCredit['reference'] {
  for (const strd of rmtInf?.all('Strd') ?? []) {
    const info = strd.opt('CdtrRefInf');
    const raw = info?.optText('Ref');
    if (!info || raw === undefined) continue;
    const value = raw.replace(/\s+/g, '').toUpperCase();
    const kind = info.at('Tp', 'CdOrPrtry');
    const code = kind?.optText('Cd');
    const proprietary = kind?.optText('Prtry');
    if (proprietary === 'QRR') return { type: 'QRR', value };
    if (code === 'SCOR') return { type: 'SCOR', value };
    // No (or another) type: classify by the check digits, as a matcher would.
    if (isQrReference(value)) return { type: 'QRR', value };
    if (isCreditorReference(value)) return { type: 'SCOR', value };
    return { type: 'NON', value };
  }
  return undefined;
}

function readMessage(rmtInf: El | undefined): string | undefined {
  if (!rmtInf) return undefined;
  const lines = (els: El[]) => els.map((e) => e.text()).filter((t): t is string => t !== undefined);
  const ustrd = lines(rmtInf.all('Ustrd'));
  if (ustrd.length > 0) return ustrd.join(' ');
  const additional = lines(rmtInf.all('Strd').flatMap((s) => s.all('AddtlRmtInf')));
  return additional.length > 0 ? additional.join(' ') : undefined;
}

function readEndToEndId(tx: El): string | undefined {
  const id = tx.optText('Refs', 'EndToEndId');
  return id === undefined || id === 'NOTPROVIDED' ? undefined : id;
}

/** The transaction's own amount: TxDtls/Amt, else TxDtls/AmtDtls/TxAmt/Amt. */
function readTxAmount(tx: El): { amount: string; currency: string } | undefined {
  const el = tx.opt('Amt') ?? tx.at('AmtDtls', 'TxAmt', 'Amt');
  return el ? readAmount(el) : undefined;
}

function unclosedNames(json: string): string[] | undefined {
  try {
    const names: unknown = JSON.parse(json);
    return Array.isArray(names) && names.every((n) => typeof n === 'string') ? names : undefined;
  } catch {
    return undefined;
  }
}

function parseDocument(xml: string): { root: El; version: string } {
  if (typeof xml !== 'string' || xml.trim() === '') throw new Camt054Error('the document is empty');
  const source = xml.replace(/^\uFEFF/, '');
  // camt files never carry a DTD; refusing one keeps entity expansion out of the picture.
  if (/<!DOCTYPE/i.test(source)) throw new Camt054Error('a DOCTYPE declaration is not allowed');
  const valid = XMLValidator.validate(source);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    // Several unclosed elements come back as "Invalid '[...names...]' found." at 1:1: say what it means.
    const unclosed = /^Invalid '(\[.*\])' found\.$/s.exec(msg);
    const names = unclosed ? unclosedNames(unclosed[1]!) : undefined;
    if (names) throw new Camt054Error(`malformed XML: the document ends before these elements are closed: ${names.join('/')} (truncated file?)`);
    throw new Camt054Error(`malformed XML at line ${line}, column ${col}: ${msg}`);
  }
  const parsed: unknown = parser.parse(source);
  const rootKey = isObject(parsed) ? Object.keys(parsed).find((k) => !k.startsWith('?') && !k.startsWith('#')) : undefined;
  if (!isObject(parsed) || rootKey === undefined) throw new Camt054Error('the document has no root element');
  if (localName(rootKey) !== 'Document') throw new Camt054Error(`the root element is <${rootKey}>, expected <Document>`, rootKey);
  const rootValue = parsed[rootKey];
  const prefix = rootKey.includes(':') ? rootKey.slice(0, rootKey.indexOf(':')) : undefined;
  const nsAttr = prefix ? `@_xmlns:${prefix}` : '@_xmlns';
  const ns = isObject(rootValue) ? rootValue[nsAttr] : undefined;
  if (typeof ns !== 'string' || ns === '') {
    throw new Camt054Error(`the Document element has no namespace; expected ${CAMT054_NAMESPACE_PREFIX}NN`, 'Document');
  }
  if (!ns.startsWith(CAMT054_NAMESPACE_PREFIX)) {
    throw new Camt054Error(`not a camt.054 document: namespace "${ns}", expected ${CAMT054_NAMESPACE_PREFIX}NN`, 'Document');
  }
  const version = ns.slice(CAMT054_NAMESPACE_PREFIX.length);
  if (!SUPPORTED_CAMT054_VERSIONS.includes(version)) {
    throw new Camt054Error(`unsupported camt.054 version "${version}" (namespace "${ns}"); supported: ${SUPPORTED_CAMT054_VERSIONS.join(', ')}`, 'Document');
  }
  return { root: new El(stripPrefixes(rootValue), 'Document'), version: `camt.054.001.${version}` };
}

export function parseCamt054(xml: string): BankStatement {
  const { root, version } = parseDocument(xml);
  const msg = root.req('BkToCstmrDbtCdtNtfctn');
  const grpHdr = msg.req('GrpHdr');
  const statement: BankStatement = {
    version,
    messageId: grpHdr.req('MsgId').reqText(),
    createdAt: grpHdr.req('CreDtTm').reqText(),
    notifications: [],
    credits: [],
    reversals: [],
    ignored: [],
    unreadable: [],
  };

  const ntfctns = msg.all('Ntfctn');
  if (ntfctns.length === 0) throw new Camt054Error(`missing element ${msg.path}/Ntfctn`, `${msg.path}/Ntfctn`);

  for (const ntfctn of ntfctns) {
    const notificationId = ntfctn.req('Id').reqText();
    const acct = ntfctn.req('Acct');
    acct.req('Id');
    const accountIban = normaliseIban(acct.optText('Id', 'IBAN'));
    const accountCurrency = acct.optText('Ccy');
    const createdAt = ntfctn.optText('CreDtTm');
    statement.notifications.push({
      id: notificationId,
      ...(createdAt !== undefined && { createdAt }),
      account: { ...(accountIban !== undefined && { iban: accountIban }), ...(accountCurrency !== undefined && { currency: accountCurrency }) },
    });

    ntfctn.all('Ntry').forEach((ntry, e) => {
      const entryIndex = e + 1;
      // One odd entry must not cost the day's file: what cannot be read is set aside with the reason.
      const before = { credits: statement.credits.length, reversals: statement.reversals.length, ignored: statement.ignored.length };
      try {
        readEntry(statement, ntry, notificationId, entryIndex, accountIban);
      } catch (err) {
        if (!(err instanceof Camt054Error)) throw err;
        statement.credits.length = before.credits;
        statement.reversals.length = before.reversals;
        statement.ignored.length = before.ignored;
        const amount = tryRead(() => readAmount(ntry.req('Amt')));
        const bookingDate = tryRead(() => readDate(ntry.opt('BookgDt')));
        statement.unreadable.push({
          id: ntry.opt('AcctSvcrRef')?.text() ?? `${notificationId}:${entryIndex}`,
          notificationId,
          reason: err.message.replace(/^camt\.054: /, ''),
          ...(amount ?? {}),
          ...(bookingDate !== undefined && { bookingDate }),
        });
      }
    });
  }

  return statement;
}

function tryRead<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

const sumAmounts = (amounts: { amount: string; sign: bigint }[]): string => {
  // Cents as integers: exact for any amount a bank writes (at most 2 decimals, checked by readAmount).
  const cents = amounts.reduce((s, a) => s + a.sign * BigInt(a.amount.replace('.', '')), 0n);
  const negative = cents < 0n;
  const text = (negative ? -cents : cents).toString().padStart(3, '0');
  return `${negative ? '-' : ''}${text.slice(0, -2)}.${text.slice(-2)}`;
};

/** One entry: its credits, reversals and ignored parts, or a Camt054Error naming what is wrong. */
function readEntry(statement: BankStatement, ntry: El, notificationId: string, entryIndex: number, accountIban: string | undefined): void {
  const entry = readAmount(ntry.req('Amt'));
  const creditDebit = readCreditDebit(ntry.req('CdtDbtInd'));
  const reversal = readBoolean(ntry.opt('RvslInd'));
  const status = readStatus(ntry);
  const bookingDate = readDate(ntry.opt('BookgDt'));
  const valueDate = readDate(ntry.opt('ValDt'));
  const entryRef = ntry.optText('AcctSvcrRef');
  const txs = ntry.all('NtryDtls').flatMap((d) => d.all('TxDtls'));

  const ignore = (id: string, reason: IgnoredReason, detail: string, cd: 'CRDT' | 'DBIT', amount: { amount: string; currency: string }): void => {
    statement.ignored.push({ id, notificationId, reason, detail, creditDebit: cd, status, ...amount, ...(bookingDate !== undefined && { bookingDate }) });
  };
  const entryId = entryRef ?? `${notificationId}:${entryIndex}`;
  if (status !== 'BOOK') return ignore(entryId, 'not_booked', `entry status ${status}, not BOOK`, creditDebit, entry);

  // The transactions' own amounts must add up to their entry, in its currency: a file saying 1.00 booked
  // and 1000.00 in its transaction is not one to credit from.
  const own = txs.map((tx) => readTxAmount(tx));
  if (txs.length > 1 && own.some((a) => a === undefined)) {
    const missing = own.findIndex((a) => a === undefined);
    throw new Camt054Error(
      `missing element ${txs[missing]!.path}/Amt (or AmtDtls/TxAmt/Amt): an entry with ${txs.length} transactions needs each one's amount`,
      `${txs[missing]!.path}/Amt`,
    );
  }
  const stated = own.flatMap((a, t) => {
    if (!a) return [];
    const cd = txs[t]!.opt('CdtDbtInd');
    // A transaction booked the other way (a debit inside a credit entry) counts against the entry.
    return [{ ...a, sign: cd && readCreditDebit(cd) !== creditDebit ? -1n : 1n }];
  });
  if (stated.length > 0) {
    const other = stated.find((a) => a.currency !== entry.currency);
    if (other) throw new Camt054Error(`a transaction of ${ntry.path} is in ${other.currency}, the entry in ${entry.currency}`, ntry.path);
    const total = sumAmounts(stated);
    if (total !== entry.amount) {
      throw new Camt054Error(`the transactions of ${ntry.path} add up to ${total} ${entry.currency}, the entry says ${entry.amount} ${entry.currency}`, ntry.path);
    }
  }

  const base = {
    ...(bookingDate !== undefined && { bookingDate }),
    ...(valueDate !== undefined && { valueDate }),
  };
  // A reversal (RvslInd) of a credit is booked as a debit; a return is a debit with return information.
  const returned = (tx: El | undefined) => tx?.opt('RtrInf') !== undefined;
  const takenBack = (tx: El | undefined, cd: 'CRDT' | 'DBIT'): 'reversal' | 'return' | undefined =>
    cd !== 'DBIT' ? undefined : reversal ? 'reversal' : returned(tx) ? 'return' : undefined;
  // A reversal booked as a credit gives back a debit of ours: there is nothing it paid to reopen.
  if (reversal && creditDebit === 'CRDT') return ignore(entryId, 'reversal', 'reversal (RvslInd=true) of a debit booking, booked as CRDT', creditDebit, entry);

  if (txs.length === 0) {
    const kind = takenBack(undefined, creditDebit);
    if (kind) {
      statement.reversals.push({
        id: entryRef ?? `${notificationId}:${entryIndex}:1`,
        notificationId,
        kind,
        ...entry,
        ...base,
        ...(accountIban !== undefined && { account: accountIban }),
      });
      return;
    }
    if (creditDebit !== 'CRDT') return ignore(entryId, 'debit', 'debit entry (CdtDbtInd=DBIT)', creditDebit, entry);
    statement.credits.push({
      id: entryRef ?? `${notificationId}:${entryIndex}:1`,
      ...entry,
      ...base,
      ...(accountIban !== undefined && { account: accountIban }),
    });
    return;
  }

  txs.forEach((tx, t) => {
    const txIndex = t + 1;
    const txRef = tx.optText('Refs', 'AcctSvcrRef');
    const id =
      txs.length === 1
        ? (entryRef ?? txRef ?? `${notificationId}:${entryIndex}:${txIndex}`)
        : (txRef ?? (entryRef !== undefined ? `${entryRef}:${txIndex}` : `${notificationId}:${entryIndex}:${txIndex}`));
    const money = own[t] ?? entry;
    const txCdEl = tx.opt('CdtDbtInd');
    const txCd = txCdEl ? readCreditDebit(txCdEl) : creditDebit;
    const rmtInf = tx.opt('RmtInf');
    const account = normaliseIban(tx.optText('RltdPties', 'CdtrAcct', 'Id', 'IBAN')) ?? accountIban;
    const reference = readReference(rmtInf);
    const endToEndId = readEndToEndId(tx);
    const kind = takenBack(tx, txCd);
    if (kind) {
      const reason = tx.optText('RtrInf', 'Rsn', 'Cd');
      statement.reversals.push({
        id,
        notificationId,
        kind,
        ...money,
        ...(bookingDate !== undefined && { bookingDate }),
        ...(account !== undefined && { account }),
        ...(reference !== undefined && { reference }),
        ...(endToEndId !== undefined && { endToEndId }),
        ...(reason !== undefined && { reason }),
      });
      return;
    }
    if (txCd === 'DBIT') {
      return ignore(id, 'debit', creditDebit === 'CRDT' ? 'debit transaction (TxDtls/CdtDbtInd=DBIT) in a credit entry' : 'debit entry (CdtDbtInd=DBIT)', 'DBIT', money);
    }
    const message = readMessage(rmtInf);
    const debtor = readDebtor(tx);
    statement.credits.push({
      id,
      ...money,
      ...base,
      ...(account !== undefined && { account }),
      ...(reference !== undefined && { reference }),
      ...(message !== undefined && { message }),
      ...(debtor !== undefined && { debtor }),
      ...(endToEndId !== undefined && { endToEndId }),
    });
  });
}
