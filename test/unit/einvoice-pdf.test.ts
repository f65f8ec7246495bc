import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeCii } from '../../src/clients/einvoice/cii.js';
import { FACTUR_X_ATTACHMENT, renderInvoicePdf } from '../../src/clients/pdf/invoice-pdf.js';
import { buildInvoicePdfModel } from '../../src/commands/invoice-pdf.js';
import { eInvoiceFromInvoice } from '../../src/domain/e-invoice.js';
import { eInvoiceCases } from '../fixtures/e-invoices.js';
import { pdfText } from '../helpers/pdf.js';
import { tempDir } from '../helpers/portal.js';

const config = { publicUrl: 'https://pay.example.edu', timeZone: 'UTC' };

function qpdf(pdf: Buffer, ...args: string[]): string {
  const file = path.join(tempDir('facturx-'), 'invoice.pdf');
  fs.writeFileSync(file, pdf);
  return execFileSync('qpdf', [...args, file], { encoding: 'utf8' });
}

/** The file with every object written out uncompressed, so dictionaries can be read as text. */
function uncompressed(pdf: Buffer): string {
  const dir = tempDir('facturx-qdf-');
  fs.writeFileSync(path.join(dir, 'in.pdf'), pdf);
  execFileSync('qpdf', ['--qdf', '--object-streams=disable', path.join(dir, 'in.pdf'), path.join(dir, 'out.pdf')]);
  return fs.readFileSync(path.join(dir, 'out.pdf'), 'latin1');
}

describe('a Factur-X invoice PDF', () => {
  const c = eInvoiceCases()[1]!;
  const xml = writeCii(eInvoiceFromInvoice(c.invoice, c.settings));
  const model = { ...buildInvoicePdfModel(config, c.invoice), facturXml: xml };

  it('is a sound PDF that carries factur-x.xml, byte for byte the CII', async () => {
    const pdf = await renderInvoicePdf(model);
    expect(qpdf(pdf, '--check')).toMatch(/No syntax or stream encoding errors found/);
    expect(qpdf(pdf, '--list-attachments').trim()).toMatch(new RegExp(`^${FACTUR_X_ATTACHMENT} ->`));
    expect(qpdf(pdf, `--show-attachment=${FACTUR_X_ATTACHMENT}`)).toBe(xml);
  });

  it('declares the XML an associated file of the document with relationship Alternative', async () => {
    const text = uncompressed(await renderInvoicePdf(model));
    expect(text).toMatch(/\/AFRelationship \/Alternative/);
    expect(text).toMatch(/\/Subtype \/text#2Fxml/i);
    // The catalog lists the file spec in /AF (PDF/A-3 requires the association).
    expect(text).toMatch(/\/AF \[\s*\d+ 0 R\s*\]/);
  });

  it('identifies itself as PDF/A-3b and as Factur-X EN 16931 in its XMP metadata', async () => {
    const text = uncompressed(await renderInvoicePdf(model));
    expect(text).toMatch(/^%PDF-1\.7/);
    expect(text).toMatch(/<pdfaid:part>3<\/pdfaid:part>\s*<pdfaid:conformance>B<\/pdfaid:conformance>/);
    expect(text).toMatch(/<fx:DocumentFileName>factur-x\.xml<\/fx:DocumentFileName>/);
    expect(text).toMatch(/<fx:ConformanceLevel>EN 16931<\/fx:ConformanceLevel>/);
    expect(text).toMatch(/<pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#<\/pdfaSchema:namespaceURI>/);
    expect(text).toMatch(/\/OutputIntents/);
  });

  it('prints the same page as without the XML, and renders to identical bytes twice', async () => {
    const [first, second, plain] = await Promise.all([renderInvoicePdf(model), renderInvoicePdf(model), renderInvoicePdf({ ...model, facturXml: undefined })]);
    expect(first.equals(second)).toBe(true);
    expect(pdfText(first)).toBe(pdfText(plain));
    expect(qpdf(plain, '--list-attachments')).toMatch(/has no embedded files/);
  });
});
