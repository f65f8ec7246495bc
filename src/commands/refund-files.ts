/**
 * Bank files for the refunds still to pay: a SEPA credit transfer (pain.001) for EUR refunds to
 * IBANs, an Australian ABA (Cemtex) file for AUD refunds to BSB accounts. Making the file marks its
 * refunds as sent, in the same transaction that stores the file (so it can be downloaded again).
 */
import { randomBytes } from 'node:crypto';
import { buildAbaFile } from '../clients/bank-files/aba.js';
import { buildSepaCreditTransfer, buildSepaCreditTransferV03 } from '../clients/bank-files/sepa-credit-transfer.js';
import { addCalendarDays, calendarDate, toDbTime } from '../clock.js';
import type { Config } from '../config.js';
import { appendAudit } from '../db/audit.js';
import { writeTransaction } from '../db/connection.js';
import { insertRefundFile, refundsToPay, setRefundStatus, type RefundFile, type RefundRow } from '../db/ledger.js';
import { bankAccountFor } from '../domain/bank-accounts.js';
import { formatMoney } from '../domain/money.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import type { InvoiceActor } from './actors.js';

export type RefundFileFormat = RefundFile['format'];

/** The file formats refunds in this currency can be paid with, given the configuration. */
export function refundFileFormats(config: Config, currency: string): { format: RefundFileFormat | null; missing: string | null } {
  if (currency === 'EUR') {
    const account = bankAccountFor(config.bank.accounts, 'EUR');
    if (!account?.iban) return { format: null, missing: 'an EUR account with an IBAN (BANK_EUR_IBAN or BANK_IBAN) to pay from' };
    return { format: config.ledger.sepaVersion === '03' ? 'pain.001.001.03' : 'pain.001.001.09', missing: null };
  }
  if (currency === 'AUD') return config.ledger.aba ? { format: 'aba', missing: null } : { format: null, missing: 'the ABA_ settings from your bank' };
  return { format: null, missing: `a bank file format for ${currency} (pay these by hand and mark them paid)` };
}

function refundReference(refund: RefundRow): string {
  return `Refund ${refund.invoiceNumber}`;
}

function build(config: Config, format: RefundFileFormat, refunds: RefundRow[], messageId: string, now: Date): string {
  const processDate = calendarDate(now, config.timeZone);
  if (format === 'aba') {
    const aba = config.ledger.aba!;
    return buildAbaFile({
      userName: aba.userName,
      apcaNumber: aba.apcaNumber,
      bankAbbreviation: aba.bankAbbreviation,
      description: aba.description,
      processDate,
      remitter: { bsb: aba.bsb, accountNumber: aba.accountNumber, name: aba.remitterName },
      balancing: aba.selfBalancing,
      payments: refunds.map((r) => ({
        bsb: r.payeeBsb!,
        accountNumber: r.payeeAccount!,
        accountName: r.payeeName ?? r.buyerName,
        amountMinor: r.amountMinor,
        currency: r.currency,
        lodgementReference: refundReference(r).slice(0, 18),
      })),
    });
  }
  const account = bankAccountFor(config.bank.accounts, 'EUR')!;
  const input = {
    messageId,
    createdAt: now,
    // The next bank day is the earliest most banks accept; they move a weekend date on themselves.
    requestedExecutionDate: addCalendarDays(processDate, 1),
    debtor: { name: account.accountName, iban: account.iban!, bic: account.bic ?? null },
    payments: refunds.map((r) => ({
      endToEndId: `REFUND-${r.id}`,
      amountMinor: r.amountMinor,
      currency: r.currency,
      creditor: { name: r.payeeName ?? r.buyerName, iban: r.payeeIban!, bic: r.payeeBic },
      remittance: refundReference(r),
    })),
  };
  return format === 'pain.001.001.03' ? buildSepaCreditTransferV03(input) : buildSepaCreditTransfer(input);
}

/** Puts every refund of this currency still to pay (by bank transfer, to an account the format takes) into one bank file. */
export function exportRefundFile(deps: Pick<Deps, 'db' | 'clock' | 'config'>, actor: InvoiceActor, currency: string): RefundFile {
  const { db, config } = deps;
  const { format, missing } = refundFileFormats(config, currency);
  if (!format) throw new AppError('bank_file.invalid', `no bank file for ${currency}: the portal needs ${missing}`, { problems: [`Configure ${missing}.`] });
  const now = deps.clock.now();
  const at = toDbTime(now);
  return writeTransaction(db, () => {
    const refunds = refundsToPay(db, currency).filter((r) => (format === 'aba' ? r.payeeBsb && r.payeeAccount : r.payeeIban));
    if (refunds.length === 0)
      throw new AppError('bank_file.invalid', `no ${currency} refunds to pay`, { problems: [`There are no ${currency} refunds to pay by bank file.`] });
    const messageId = `REFUNDS-${at.slice(0, 10).replace(/-/g, '')}-${randomBytes(4).toString('hex').toUpperCase()}`;
    const content = build(config, format, refunds, messageId, now);
    const totalMinor = refunds.reduce((sum, r) => sum + r.amountMinor, 0);
    const fileName = `${messageId.toLowerCase()}.${format === 'aba' ? 'aba' : 'xml'}`;
    const id = insertRefundFile(db, {
      format,
      currency,
      messageId,
      fileName,
      content,
      refunds: refunds.length,
      totalMinor,
      createdAt: at,
      createdBy: actor.actorLabel,
    });
    for (const refund of refunds) {
      if (!setRefundStatus(db, refund.id, 'to_pay', 'sent', { fileId: id })) throw new AppError('admin.refund_state', `refund ${refund.id}`);
      appendAudit(db, {
        at,
        actor: actor.actor,
        actorLabel: actor.actorLabel,
        action: 'refund.sent',
        invoiceId: refund.invoiceId,
        summary: `Refund of ${formatMoney(refund.amountMinor, refund.currency)} to ${refund.payeeName ?? refund.buyerName} put in bank file ${fileName}`,
        data: { entryId: refund.id, fileId: id },
      });
    }
    return { id, format, currency, messageId, fileName, content, refunds: refunds.length, totalMinor, createdAt: at, createdBy: actor.actorLabel };
  });
}
