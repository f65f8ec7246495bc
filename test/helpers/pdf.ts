import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './portal.js';

function tool(name: string, debianPackage: string): string {
  try {
    execFileSync('which', [name], { stdio: 'ignore' });
    return name;
  } catch {
    throw new Error(`${name} is not installed: apt-get install -y ${debianPackage} (.ci/run does this)`);
  }
}

/** The text a person would read in the PDF (poppler's pdftotext), NFKC-normalised. */
export function pdfText(pdf: Buffer | Uint8Array): string {
  const dir = tempDir('pdf-');
  const file = path.join(dir, 'doc.pdf');
  fs.writeFileSync(file, pdf);
  return execFileSync(tool('pdftotext', 'poppler-utils'), ['-layout', file, '-'], { encoding: 'utf8' }).normalize('NFKC');
}

/** Every QR code on page 1, decoded (pdftoppm at 300 dpi, then zbarimg). */
export function pdfQrCodes(pdf: Buffer | Uint8Array): string[] {
  const dir = tempDir('qr-');
  const file = path.join(dir, 'doc.pdf');
  fs.writeFileSync(file, pdf);
  execFileSync(tool('pdftoppm', 'poppler-utils'), ['-r', '300', '-f', '1', '-l', '1', '-png', file, path.join(dir, 'page')]);
  const png = fs.readdirSync(dir).find((f) => f.endsWith('.png'))!;
  try {
    const out = execFileSync(tool('zbarimg', 'zbar-tools'), ['--quiet', '--raw', '-Sbinary', path.join(dir, png)], { stdio: ['ignore', 'pipe', 'ignore'] });
    return [out.toString('utf8').replace(/\n$/, '')];
  } catch (error) {
    // zbarimg exits 4 when the image holds no code.
    if ((error as { status?: number }).status === 4) return [];
    throw error;
  }
}
