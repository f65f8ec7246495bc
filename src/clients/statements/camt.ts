/**
 * ISO 20022 camt.053 (statement), camt.054 (debit/credit notification) and camt.052 (account report),
 * any version: elements are matched by local name, so a default namespace, a prefixed one or none
 * all read the same, and fields that moved between versions (Sts vs Sts/Cd, Dbtr/Nm vs Dbtr/Pty/Nm,
 * BIC vs BICFI, TxDtls/Amt vs AmtDtls/TxAmt/Amt) are looked up in each of their places.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { decimalToMinor, fail, finishLines, isoDatePart, joinText, nonEmpty, quote, requireCurrency, type DraftLine } from './common.js';
import type { Balance, ParsedStatement, PayerAccount, StatementAccount, StatementSection } from './types.js';

/** An element as fast-xml-parser gives it with our options: child arrays, '#text', '@_' attributes. */
type XNode = { [key: string]: XNode[] | string | undefined };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  // Values stay text: an amount must never become a JS number on its way in.
  parseTagValue: false,
  parseAttributeValue: false,
  // No entity expansion at all; files with a DTD are refused before parsing, and the five
  // predefined entities and character references are decoded by `decodeXmlText` below.
  processEntities: false,
  htmlEntities: false,
  trimValues: true,
  alwaysCreateTextNode: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (_name, _path, _isLeaf, isAttribute) => !isAttribute,
});

const PREDEFINED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeXmlText(raw: string): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    return PREDEFINED_ENTITIES[name] ?? whole;
  });
}

function kids(node: XNode | undefined, name: string): XNode[] {
  const value = node?.[name];
  return Array.isArray(value) ? value : [];
}

/** First element along a path of local names. */
function at(node: XNode | undefined, ...names: string[]): XNode | undefined {
  let current = node;
  for (const name of names) {
    current = kids(current, name)[0];
    if (current === undefined) return undefined;
  }
  return current;
}

function textOf(node: XNode | undefined): string | null {
  const raw = node?.['#text'];
  if (typeof raw !== 'string') return null;
  return nonEmpty(decodeXmlText(raw));
}

function textAt(node: XNode | undefined, ...names: string[]): string | null {
  return textOf(at(node, ...names));
}

function attribute(node: XNode | undefined, name: string): string | null {
  const raw = node?.[`@_${name}`];
  return typeof raw === 'string' ? nonEmpty(decodeXmlText(raw)) : null;
}

const NAMESPACE = /urn:iso:std:iso:20022:tech:xsd:(camt\.\d{3}\.\d{3}\.\d{2})/;

const CONTAINERS = [
  { root: 'BkToCstmrStmt', item: 'Stmt', message: 'camt.053' },
  { root: 'BkToCstmrDbtCdtNtfctn', item: 'Ntfctn', message: 'camt.054' },
  { root: 'BkToCstmrAcctRpt', item: 'Rpt', message: 'camt.052' },
] as const;

/** Refuses what could make an XML parser fetch files or expand entities, before any parsing. */
export function refuseDtd(text: string): void {
  if (/<!DOCTYPE/i.test(text)) fail('file', 'the XML contains a DOCTYPE declaration, which bank statements never need; refused for safety');
  if (/<!ENTITY/i.test(text)) fail('file', 'the XML declares entities, which bank statements never need; refused for safety');
}

export function parseCamt(text: string): ParsedStatement {
  refuseDtd(text);
  const validation = XMLValidator.validate(text);
  if (validation !== true) fail(`XML line ${validation.err.line}`, `not well-formed XML (${validation.err.msg})`);

  const tree = parser.parse(text) as XNode;
  const document = at(tree, 'Document') ?? tree;
  const container = CONTAINERS.find((candidate) => at(document, candidate.root) !== undefined);
  if (!container) {
    const rootName = Object.keys(document).find((key) => !key.startsWith('@_') && key !== '#text') ?? 'nothing';
    fail('file', `XML ${rootName} is not a camt.052, camt.053 or camt.054 bank statement`);
  }
  const message = at(document, container.root);
  const namespaceVersion = NAMESPACE.exec(text)?.[1];
  const formatDetail = namespaceVersion ?? `${container.message} (no version stated)`;
  const messageId = textAt(message, 'GrpHdr', 'MsgId');

  const items = kids(message, container.item);
  if (items.length === 0) fail(container.root, `the file holds no ${container.item}`);

  const drafts: DraftLine[] = [];
  const sections: StatementSection[] = [];
  items.forEach((item, itemIndex) => {
    const where = `${container.item} ${itemIndex + 1}`;
    const account = readAccount(item);
    const firstLine = drafts.length;
    for (const draft of readEntries(item, where, account)) drafts.push(draft);
    sections.push({
      where,
      account,
      statementId: textAt(item, 'Id'),
      sequence: textAt(item, 'ElctrncSeqNb') ?? textAt(item, 'LglSeqNb'),
      ...readBalances(item, where),
      firstLine,
      lineCount: drafts.length - firstLine,
    });
  });

  const first = sections[0];
  if (!first) return fail(container.root, `the file holds no ${container.item}`);
  const fileId =
    messageId === null && first.statementId === null ? null : [messageId, first.statementId, first.sequence].filter((part) => part !== null).join('/');
  return {
    format: 'camt',
    formatDetail,
    fileId,
    account: first.account,
    statementId: first.statementId,
    sequence: first.sequence,
    ...fileBalances(sections),
    lines: finishLines(drafts),
    statements: sections,
  };
}

/** Opening of the first statement and closing of the last one of the first account. */
export function fileBalances(sections: StatementSection[]): Pick<ParsedStatement, 'openingBalance' | 'closingBalance'> {
  const first = sections[0];
  if (!first) return { openingBalance: null, closingBalance: null };
  const sameAccount = sections.filter((section) => section.account.iban === first.account.iban && section.account.other === first.account.other);
  return { openingBalance: first.openingBalance, closingBalance: sameAccount[sameAccount.length - 1]?.closingBalance ?? null };
}

function readAccount(item: XNode): StatementAccount {
  const account = at(item, 'Acct');
  return {
    iban: textAt(account, 'Id', 'IBAN'),
    other: textAt(account, 'Id', 'Othr', 'Id'),
    currency: textAt(account, 'Ccy'),
  };
}

function readAmount(node: XNode | undefined, where: string, what: string): { minor: number; currency: string } {
  const text = textOf(node);
  if (text === null) fail(where, `${what} is missing`);
  const currency = requireCurrency(attribute(node, 'Ccy'), where, what);
  return { minor: decimalToMinor(text, currency, where, what), currency };
}

function readDate(node: XNode | undefined, where: string, what: string): string | null {
  const text = textAt(node, 'Dt') ?? textAt(node, 'DtTm');
  if (text === null) return null;
  const date = isoDatePart(text);
  if (date === null) fail(where, `${what} ${quote(text)} is not a date`);
  return date;
}

function readIndicator(node: XNode | undefined, where: string): 'credit' | 'debit' | null {
  const text = textAt(node, 'CdtDbtInd');
  if (text === null) return null;
  if (text === 'CRDT') return 'credit';
  if (text === 'DBIT') return 'debit';
  return fail(where, `CdtDbtInd ${quote(text)} is neither CRDT nor DBIT`);
}

function readBalances(item: XNode, where: string): Pick<StatementSection, 'openingBalance' | 'closingBalance'> {
  const byType = new Map<string, Balance>();
  kids(item, 'Bal').forEach((balance, balanceIndex) => {
    const balanceWhere = `${where}, Bal ${balanceIndex + 1}`;
    const type = textAt(balance, 'Tp', 'CdOrPrtry', 'Cd') ?? textAt(balance, 'Tp', 'CdOrPrtry', 'Prtry');
    if (type === null || byType.has(type)) return;
    const amount = readAmount(at(balance, 'Amt'), balanceWhere, 'Amt');
    const sign = readIndicator(balance, balanceWhere) === 'debit' ? -1 : 1;
    const date = readDate(at(balance, 'Dt'), balanceWhere, 'Dt');
    if (date === null) fail(balanceWhere, 'balance has no date');
    byType.set(type, { amountMinor: sign * amount.minor, currency: amount.currency, date });
  });
  return {
    openingBalance: byType.get('OPBD') ?? byType.get('PRCD') ?? null,
    closingBalance: byType.get('CLBD') ?? null,
  };
}

function isBooked(entry: XNode): boolean {
  const status = textAt(entry, 'Sts', 'Cd') ?? textAt(entry, 'Sts') ?? textAt(entry, 'Sts', 'Prtry');
  return status === 'BOOK';
}

interface TxFacts {
  where: string;
  amount: { minor: number; currency: string } | null;
  direction: 'credit' | 'debit' | null;
  bankReference: string | null;
  endToEndId: string | null;
  structuredReference: string | null;
  remittanceParts: string[];
  additionalInfo: string | null;
  payerName: string | null;
  payerAccount: PayerAccount | null;
  returnReason: string | null;
}

function readTx(tx: XNode, where: string): TxFacts {
  const amountNode = at(tx, 'Amt') ?? at(tx, 'AmtDtls', 'TxAmt', 'Amt');
  const amountName = at(tx, 'Amt') ? 'TxDtls/Amt' : 'AmtDtls/TxAmt/Amt';
  const endToEnd = textAt(tx, 'Refs', 'EndToEndId');
  const remittance = at(tx, 'RmtInf');
  const structured = kids(remittance, 'Strd')
    .map((strd) => textAt(strd, 'CdtrRefInf', 'Ref'))
    .find((ref) => ref !== null);
  const parties = at(tx, 'RltdPties');
  const debtor = at(parties, 'Dbtr');
  const debtorAccount = at(parties, 'DbtrAcct');
  const debtorAgent = at(tx, 'RltdAgts', 'DbtrAgt', 'FinInstnId');
  const payerAccount: PayerAccount = {
    iban: textAt(debtorAccount, 'Id', 'IBAN'),
    bic: textAt(debtorAgent, 'BICFI') ?? textAt(debtorAgent, 'BIC'),
    other: textAt(debtorAccount, 'Id', 'Othr', 'Id'),
  };
  const returnInfo = at(tx, 'RtrInf');
  return {
    where,
    amount: amountNode ? readAmount(amountNode, where, amountName) : null,
    direction: readIndicator(tx, where),
    bankReference: textAt(tx, 'Refs', 'AcctSvcrRef'),
    endToEndId: endToEnd === 'NOTPROVIDED' ? null : endToEnd,
    structuredReference: structured ?? null,
    remittanceParts: kids(remittance, 'Ustrd')
      .map((ustrd) => textOf(ustrd))
      .filter((part): part is string => part !== null),
    additionalInfo: textAt(tx, 'AddtlTxInf'),
    payerName: textAt(debtor, 'Nm') ?? textAt(debtor, 'Pty', 'Nm'),
    payerAccount: payerAccount.iban === null && payerAccount.bic === null && payerAccount.other === null ? null : payerAccount,
    returnReason: returnInfo ? (textAt(returnInfo, 'Rsn', 'Cd') ?? textAt(returnInfo, 'Rsn', 'Prtry')) : null,
  };
}

/** The one value all transactions agree on; a batch kept whole must not claim one payer's reference. */
function agreed<T>(values: Array<T | null>): T | null {
  const present = values.filter((value): value is T => value !== null);
  const distinct = new Set(present.map((value) => JSON.stringify(value)));
  return distinct.size === 1 ? (present[0] ?? null) : null;
}

function readEntries(item: XNode, itemWhere: string, account: StatementAccount): DraftLine[] {
  const drafts: DraftLine[] = [];
  kids(item, 'Ntry').forEach((entry, entryIndex) => {
    const where = `${itemWhere}, Ntry ${entryIndex + 1}`;
    if (!isBooked(entry)) return;
    const amount = readAmount(at(entry, 'Amt'), where, 'Amt');
    const direction = readIndicator(entry, where);
    if (direction === null) fail(where, 'CdtDbtInd is missing');
    const bookingDate = readDate(at(entry, 'BookgDt'), where, 'BookgDt');
    const valueDate = readDate(at(entry, 'ValDt'), where, 'ValDt');
    if (bookingDate === null && valueDate === null) fail(where, 'the entry has neither BookgDt nor ValDt');
    const entryReversal = textAt(entry, 'RvslInd') === 'true';
    const entryReference = textAt(entry, 'AcctSvcrRef') ?? textAt(entry, 'NtryRef');
    const entryInfo = textAt(entry, 'AddtlNtryInf');

    let txIndex = 0;
    const txs: TxFacts[] = [];
    for (const details of kids(entry, 'NtryDtls')) {
      for (const tx of kids(details, 'TxDtls')) {
        txIndex++;
        txs.push(readTx(tx, `${where}, TxDtls ${txIndex}`));
      }
    }

    const base = {
      account,
      currency: amount.currency,
      bookingDate: bookingDate ?? (valueDate as string),
      valueDate,
    };

    if (txs.length > 1 && splittable(txs, amount, direction)) {
      txs.forEach((tx, i) => {
        const txAmount = tx.amount as { minor: number; currency: string };
        if (txAmount.minor === 0) return;
        const bankReference = tx.bankReference ?? entryReference;
        drafts.push({
          ...base,
          where: tx.where,
          direction: tx.direction ?? direction,
          reversal: entryReversal || tx.returnReason !== null,
          amountMinor: txAmount.minor,
          bankReference,
          endToEndId: tx.endToEndId,
          structuredReference: tx.structuredReference,
          remittanceParts: tx.remittanceParts,
          remittance: joinText([...tx.remittanceParts, tx.additionalInfo, entryInfo]),
          payerName: tx.payerName,
          payerAccount: tx.payerAccount,
          returnReason: tx.returnReason,
          entryKey: tx.bankReference ?? (entryReference === null ? null : `${entryReference}|tx:${i + 1}`),
        });
      });
      return;
    }

    if (amount.minor === 0) return;
    const parts = txs.flatMap((tx) => tx.remittanceParts);
    drafts.push({
      ...base,
      where,
      direction,
      reversal: entryReversal || txs.some((tx) => tx.returnReason !== null),
      amountMinor: amount.minor,
      bankReference: entryReference ?? agreed(txs.map((tx) => tx.bankReference)),
      endToEndId: agreed(txs.map((tx) => tx.endToEndId)),
      structuredReference: agreed(txs.map((tx) => tx.structuredReference)),
      remittanceParts: parts,
      remittance: joinText([...parts, ...txs.map((tx) => tx.additionalInfo), entryInfo]),
      payerName: agreed(txs.map((tx) => tx.payerName)),
      payerAccount: agreed(txs.map((tx) => tx.payerAccount)),
      returnReason: agreed(txs.map((tx) => tx.returnReason)),
      entryKey: entryReference ?? (txs.length === 1 ? (txs[0]?.bankReference ?? null) : null),
    });
  });
  return drafts;
}

/**
 * A batch is split only when every transaction states its amount in the entry's currency and they
 * add up to the entry: otherwise (amounts missing, foreign currency, charges taken off) the split
 * lines would not add up to what was booked, and the entry stays one line with every detail's text.
 */
function splittable(txs: TxFacts[], entryAmount: { minor: number; currency: string }, entryDirection: 'credit' | 'debit'): boolean {
  let sum = 0n;
  for (const tx of txs) {
    if (tx.amount === null || tx.amount.currency !== entryAmount.currency) return false;
    const sameDirection = (tx.direction ?? entryDirection) === entryDirection;
    sum += sameDirection ? BigInt(tx.amount.minor) : -BigInt(tx.amount.minor);
  }
  return sum === BigInt(entryAmount.minor);
}
