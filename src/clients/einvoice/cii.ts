/**
 * The e-invoice as UN/CEFACT Cross Industry Invoice (D16B), the syntax Factur-X and ZUGFeRD embed in
 * the PDF, in the EN 16931 profile. Element order follows the Factur-X 1.07 EN16931 schema.
 */
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import type { EInvoiceDocument, EInvoiceParty } from '../../domain/e-invoice.js';
import { ciiDate, xmlAmount } from './xml-amounts.js';

export const CII_NAMESPACES = {
  rsm: 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100',
  ram: 'urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100',
  qdt: 'urn:un:unece:uncefact:data:standard:QualifiedDataType:100',
  udt: 'urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100',
} as const;

/** BT-24 of the EN 16931 profile of Factur-X. */
export const FACTUR_X_EN16931_GUIDELINE = 'urn:cen.eu:en16931:2017';

/** The file name Factur-X requires for the XML inside the PDF. */
export const FACTUR_X_FILE_NAME = 'factur-x.xml';

function add(parent: XMLBuilder, name: string, text?: string | null, attributes?: Record<string, string>): XMLBuilder {
  const node = parent.ele(name, attributes);
  if (text !== undefined && text !== null) node.txt(text);
  return node;
}

function date(parent: XMLBuilder, name: string, value: string, prefix: 'udt' | 'qdt' = 'udt'): void {
  add(add(parent, name), `${prefix}:DateTimeString`, ciiDate(value), { format: '102' });
}

function party(parent: XMLBuilder, name: string, who: EInvoiceParty, role: 'seller' | 'buyer'): void {
  const node = add(parent, name);
  if (who.identifier) {
    if (who.identifier.scheme) add(node, 'ram:GlobalID', who.identifier.id, { schemeID: who.identifier.scheme });
    else add(node, 'ram:ID', who.identifier.id);
  }
  add(node, 'ram:Name', who.name);
  if (who.legalRegistrationId) add(add(node, 'ram:SpecifiedLegalOrganization'), 'ram:ID', who.legalRegistrationId);
  if (who.contactName || (role === 'buyer' && who.email)) {
    const contact = add(node, 'ram:DefinedTradeContact');
    if (who.contactName) add(contact, 'ram:PersonName', who.contactName);
    if (who.email) add(add(contact, 'ram:EmailURIUniversalCommunication'), 'ram:URIID', who.email);
  }
  const address = add(node, 'ram:PostalTradeAddress');
  const [one, two, three] = who.addressLines;
  if (one) add(address, 'ram:LineOne', one);
  if (two) add(address, 'ram:LineTwo', two);
  if (three) add(address, 'ram:LineThree', three);
  add(address, 'ram:CountryID', who.country);
  if (who.electronicAddress) add(add(node, 'ram:URIUniversalCommunication'), 'ram:URIID', who.electronicAddress.id, { schemeID: who.electronicAddress.scheme });
  if (who.vatId) add(add(node, 'ram:SpecifiedTaxRegistration'), 'ram:ID', who.vatId, { schemeID: 'VA' });
  if (who.taxRegistrationId) add(add(node, 'ram:SpecifiedTaxRegistration'), 'ram:ID', who.taxRegistrationId, { schemeID: 'FC' });
}

function lineTax(parent: XMLBuilder, document: EInvoiceDocument): void {
  const tax = add(parent, 'ram:ApplicableTradeTax');
  add(tax, 'ram:TypeCode', 'VAT');
  add(tax, 'ram:CategoryCode', document.vat.category);
  if (document.vat.ratePercent !== null) add(tax, 'ram:RateApplicablePercent', document.vat.ratePercent);
}

/** The CII XML (UTF-8 text) of an invoice (380) or credit note (381). */
export function writeCii(document: EInvoiceDocument): string {
  const amount = (minor: number) => xmlAmount(minor, document.currency);
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele(CII_NAMESPACES.rsm, 'rsm:CrossIndustryInvoice', {
    'xmlns:qdt': CII_NAMESPACES.qdt,
    'xmlns:ram': CII_NAMESPACES.ram,
    'xmlns:udt': CII_NAMESPACES.udt,
  });

  add(add(add(root, 'rsm:ExchangedDocumentContext'), 'ram:GuidelineSpecifiedDocumentContextParameter'), 'ram:ID', FACTUR_X_EN16931_GUIDELINE);

  const header = add(root, 'rsm:ExchangedDocument');
  add(header, 'ram:ID', document.number);
  add(header, 'ram:TypeCode', document.typeCode);
  date(header, 'ram:IssueDateTime', document.issueDate);
  if (document.note) add(add(header, 'ram:IncludedNote'), 'ram:Content', document.note);

  const transaction = add(root, 'rsm:SupplyChainTradeTransaction');
  const item = add(transaction, 'ram:IncludedSupplyChainTradeLineItem');
  add(add(item, 'ram:AssociatedDocumentLineDocument'), 'ram:LineID', document.line.id);
  const product = add(item, 'ram:SpecifiedTradeProduct');
  add(product, 'ram:Name', document.line.name);
  add(product, 'ram:Description', document.line.description);
  add(add(add(item, 'ram:SpecifiedLineTradeAgreement'), 'ram:NetPriceProductTradePrice'), 'ram:ChargeAmount', amount(document.line.netPriceMinor));
  add(add(item, 'ram:SpecifiedLineTradeDelivery'), 'ram:BilledQuantity', String(document.line.quantity), { unitCode: document.line.unitCode });
  const lineSettlement = add(item, 'ram:SpecifiedLineTradeSettlement');
  lineTax(lineSettlement, document);
  add(add(lineSettlement, 'ram:SpecifiedTradeSettlementLineMonetarySummation'), 'ram:LineTotalAmount', amount(document.line.netAmountMinor));

  const agreement = add(transaction, 'ram:ApplicableHeaderTradeAgreement');
  if (document.buyerReference) add(agreement, 'ram:BuyerReference', document.buyerReference);
  party(agreement, 'ram:SellerTradeParty', document.seller, 'seller');
  party(agreement, 'ram:BuyerTradeParty', document.buyer, 'buyer');
  if (document.purchaseOrder) add(add(agreement, 'ram:BuyerOrderReferencedDocument'), 'ram:IssuerAssignedID', document.purchaseOrder);

  add(transaction, 'ram:ApplicableHeaderTradeDelivery');

  const settlement = add(transaction, 'ram:ApplicableHeaderTradeSettlement');
  if (document.payment) add(settlement, 'ram:PaymentReference', document.payment.remittanceInformation);
  add(settlement, 'ram:InvoiceCurrencyCode', document.currency);
  if (document.payment) {
    const means = add(settlement, 'ram:SpecifiedTradeSettlementPaymentMeans');
    add(means, 'ram:TypeCode', document.payment.meansCode);
    const account = add(means, 'ram:PayeePartyCreditorFinancialAccount');
    // The schema's order: IBANID, AccountName, ProprietaryID.
    if (document.payment.accountIsIban) add(account, 'ram:IBANID', document.payment.accountId);
    if (document.payment.accountName) add(account, 'ram:AccountName', document.payment.accountName);
    if (!document.payment.accountIsIban) add(account, 'ram:ProprietaryID', document.payment.accountId);
    // CII has a field for a BIC only; a BSB travels in the UBL (FinancialInstitutionBranch).
    if (document.payment.accountIsIban && document.payment.serviceProviderId)
      add(add(means, 'ram:PayeeSpecifiedCreditorFinancialInstitution'), 'ram:BICID', document.payment.serviceProviderId);
  }
  const tax = add(settlement, 'ram:ApplicableTradeTax');
  add(tax, 'ram:CalculatedAmount', amount(document.vat.taxMinor));
  add(tax, 'ram:TypeCode', 'VAT');
  if (document.vat.exemptionReason) add(tax, 'ram:ExemptionReason', document.vat.exemptionReason);
  add(tax, 'ram:BasisAmount', amount(document.vat.taxableMinor));
  add(tax, 'ram:CategoryCode', document.vat.category);
  if (document.vat.exemptionReasonCode) add(tax, 'ram:ExemptionReasonCode', document.vat.exemptionReasonCode);
  if (document.vat.ratePercent !== null) add(tax, 'ram:RateApplicablePercent', document.vat.ratePercent);

  if (document.dueDate || document.paymentTerms) {
    const terms = add(settlement, 'ram:SpecifiedTradePaymentTerms');
    if (document.paymentTerms) add(terms, 'ram:Description', document.paymentTerms);
    if (document.dueDate) date(terms, 'ram:DueDateDateTime', document.dueDate);
  }

  const totals = add(settlement, 'ram:SpecifiedTradeSettlementHeaderMonetarySummation');
  add(totals, 'ram:LineTotalAmount', amount(document.totals.lineTotalMinor));
  add(totals, 'ram:TaxBasisTotalAmount', amount(document.totals.taxExclusiveMinor));
  add(totals, 'ram:TaxTotalAmount', amount(document.totals.taxMinor), { currencyID: document.currency });
  add(totals, 'ram:GrandTotalAmount', amount(document.totals.taxInclusiveMinor));
  add(totals, 'ram:TotalPrepaidAmount', amount(document.totals.paidMinor));
  add(totals, 'ram:DuePayableAmount', amount(document.totals.payableMinor));

  if (document.precedingInvoice) {
    const preceding = add(settlement, 'ram:InvoiceReferencedDocument');
    add(preceding, 'ram:IssuerAssignedID', document.precedingInvoice.number);
    date(preceding, 'ram:FormattedIssueDateTime', document.precedingInvoice.issueDate, 'qdt');
  }

  return root.end({ prettyPrint: true });
}
