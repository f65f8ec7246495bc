/**
 * The e-invoice as OASIS UBL 2.1 following Peppol BIS Billing 3.0: an `Invoice` for an invoice, a
 * `CreditNote` for a credit note. Element order follows the UBL 2.1 schemas (sequence order), which
 * Peppol validators check first.
 */
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import type { EInvoiceDocument, EInvoiceParty } from '../../domain/e-invoice.js';
import { xmlAmount } from './xml-amounts.js';

export const UBL_NAMESPACES = {
  invoice: 'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2',
  creditNote: 'urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2',
  cac: 'urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2',
  cbc: 'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2',
} as const;

/** BT-24 and BT-23 of Peppol BIS Billing 3.0. */
export const PEPPOL_CUSTOMIZATION_ID = 'urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0';
export const PEPPOL_PROFILE_ID = 'urn:fdc:peppol.eu:2017:poacc:billing:01:1.0';

function add(parent: XMLBuilder, name: string, text?: string | null, attributes?: Record<string, string>): XMLBuilder {
  const node = parent.ele(name, attributes);
  if (text !== undefined && text !== null) node.txt(text);
  return node;
}

function party(parent: XMLBuilder, name: string, who: EInvoiceParty): void {
  const node = add(add(parent, name), 'cac:Party');
  if (who.electronicAddress) add(node, 'cbc:EndpointID', who.electronicAddress.id, { schemeID: who.electronicAddress.scheme });
  if (who.identifier)
    add(add(node, 'cac:PartyIdentification'), 'cbc:ID', who.identifier.id, who.identifier.scheme ? { schemeID: who.identifier.scheme } : undefined);
  add(add(node, 'cac:PartyName'), 'cbc:Name', who.name);
  const address = add(node, 'cac:PostalAddress');
  const [one, two, three] = who.addressLines;
  if (one) add(address, 'cbc:StreetName', one);
  if (two) add(address, 'cbc:AdditionalStreetName', two);
  if (three) add(add(address, 'cac:AddressLine'), 'cbc:Line', three);
  add(add(address, 'cac:Country'), 'cbc:IdentificationCode', who.country);
  if (who.vatId) {
    const scheme = add(node, 'cac:PartyTaxScheme');
    add(scheme, 'cbc:CompanyID', who.vatId);
    add(add(scheme, 'cac:TaxScheme'), 'cbc:ID', 'VAT');
  }
  // BT-32: the seller's registration that is not a VAT id (an ABN), under a tax scheme other than VAT.
  if (who.taxRegistrationId) {
    const scheme = add(node, 'cac:PartyTaxScheme');
    add(scheme, 'cbc:CompanyID', who.taxRegistrationId);
    add(add(scheme, 'cac:TaxScheme'), 'cbc:ID', 'TAX');
  }
  const legal = add(node, 'cac:PartyLegalEntity');
  add(legal, 'cbc:RegistrationName', who.name);
  if (who.legalRegistrationId) add(legal, 'cbc:CompanyID', who.legalRegistrationId);
  if (who.contactName || who.email) {
    const contact = add(node, 'cac:Contact');
    if (who.contactName) add(contact, 'cbc:Name', who.contactName);
    if (who.email) add(contact, 'cbc:ElectronicMail', who.email);
  }
}

function taxCategory(parent: XMLBuilder, name: string, document: EInvoiceDocument, withReason: boolean): void {
  const category = add(parent, name);
  add(category, 'cbc:ID', document.vat.category);
  if (document.vat.ratePercent !== null) add(category, 'cbc:Percent', document.vat.ratePercent);
  if (withReason && document.vat.exemptionReasonCode) add(category, 'cbc:TaxExemptionReasonCode', document.vat.exemptionReasonCode);
  if (withReason && document.vat.exemptionReason) add(category, 'cbc:TaxExemptionReason', document.vat.exemptionReason);
  add(add(category, 'cac:TaxScheme'), 'cbc:ID', 'VAT');
}

/** The UBL XML (UTF-8 text): an Invoice for type 380, a CreditNote for 381. */
export function writeUbl(document: EInvoiceDocument): string {
  const isCreditNote = document.typeCode === '381';
  const currencyID = document.currency;
  const money = (parent: XMLBuilder, name: string, minor: number) => add(parent, name, xmlAmount(minor, currencyID), { currencyID });
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele(
    isCreditNote ? UBL_NAMESPACES.creditNote : UBL_NAMESPACES.invoice,
    isCreditNote ? 'CreditNote' : 'Invoice',
    {
      'xmlns:cac': UBL_NAMESPACES.cac,
      'xmlns:cbc': UBL_NAMESPACES.cbc,
    },
  );

  add(root, 'cbc:CustomizationID', PEPPOL_CUSTOMIZATION_ID);
  add(root, 'cbc:ProfileID', PEPPOL_PROFILE_ID);
  add(root, 'cbc:ID', document.number);
  add(root, 'cbc:IssueDate', document.issueDate);
  // A UBL CreditNote has no DueDate of its own (it would sit in PaymentMeans); ours asks for nothing.
  if (!isCreditNote && document.dueDate) add(root, 'cbc:DueDate', document.dueDate);
  add(root, isCreditNote ? 'cbc:CreditNoteTypeCode' : 'cbc:InvoiceTypeCode', document.typeCode);
  if (document.note) add(root, 'cbc:Note', document.note);
  add(root, 'cbc:DocumentCurrencyCode', document.currency);
  if (document.buyerReference) add(root, 'cbc:BuyerReference', document.buyerReference);
  if (document.purchaseOrder) add(add(root, 'cac:OrderReference'), 'cbc:ID', document.purchaseOrder);
  if (document.precedingInvoice) {
    const reference = add(add(root, 'cac:BillingReference'), 'cac:InvoiceDocumentReference');
    add(reference, 'cbc:ID', document.precedingInvoice.number);
    add(reference, 'cbc:IssueDate', document.precedingInvoice.issueDate);
  }
  party(root, 'cac:AccountingSupplierParty', document.seller);
  party(root, 'cac:AccountingCustomerParty', document.buyer);

  if (document.payment) {
    const means = add(root, 'cac:PaymentMeans');
    add(means, 'cbc:PaymentMeansCode', document.payment.meansCode);
    add(means, 'cbc:PaymentID', document.payment.remittanceInformation);
    const account = add(means, 'cac:PayeeFinancialAccount');
    add(account, 'cbc:ID', document.payment.accountId);
    if (document.payment.accountName) add(account, 'cbc:Name', document.payment.accountName);
    if (document.payment.serviceProviderId) add(add(account, 'cac:FinancialInstitutionBranch'), 'cbc:ID', document.payment.serviceProviderId);
  }
  if (document.paymentTerms) add(add(root, 'cac:PaymentTerms'), 'cbc:Note', document.paymentTerms);

  const taxTotal = add(root, 'cac:TaxTotal');
  money(taxTotal, 'cbc:TaxAmount', document.totals.taxMinor);
  const subtotal = add(taxTotal, 'cac:TaxSubtotal');
  money(subtotal, 'cbc:TaxableAmount', document.vat.taxableMinor);
  money(subtotal, 'cbc:TaxAmount', document.vat.taxMinor);
  taxCategory(subtotal, 'cac:TaxCategory', document, true);

  const totals = add(root, 'cac:LegalMonetaryTotal');
  money(totals, 'cbc:LineExtensionAmount', document.totals.lineTotalMinor);
  money(totals, 'cbc:TaxExclusiveAmount', document.totals.taxExclusiveMinor);
  money(totals, 'cbc:TaxInclusiveAmount', document.totals.taxInclusiveMinor);
  money(totals, 'cbc:PrepaidAmount', document.totals.paidMinor);
  money(totals, 'cbc:PayableAmount', document.totals.payableMinor);

  const line = add(root, isCreditNote ? 'cac:CreditNoteLine' : 'cac:InvoiceLine');
  add(line, 'cbc:ID', document.line.id);
  add(line, isCreditNote ? 'cbc:CreditedQuantity' : 'cbc:InvoicedQuantity', String(document.line.quantity), { unitCode: document.line.unitCode });
  money(line, 'cbc:LineExtensionAmount', document.line.netAmountMinor);
  const item = add(line, 'cac:Item');
  add(item, 'cbc:Description', document.line.description);
  add(item, 'cbc:Name', document.line.name);
  taxCategory(item, 'cac:ClassifiedTaxCategory', document, false);
  money(add(line, 'cac:Price'), 'cbc:PriceAmount', document.line.netPriceMinor);

  return root.end({ prettyPrint: true });
}
