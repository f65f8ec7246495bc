import { spawnSync } from 'node:child_process';

/**
 * Validates XML text against an XSD with libxml2's xmllint (Debian package libxml2-utils, which
 * .ci/run installs). Returns xmllint's complaints; an empty list means the document is valid.
 */
export function xmlSchemaErrors(xml: string, xsdPath: string): string[] {
  const result = spawnSync('xmllint', ['--noout', '--nonet', '--schema', xsdPath, '-'], { input: xml, encoding: 'utf8' });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error("'xmllint' is not installed; install the Debian package 'libxml2-utils' (apt-get install -y libxml2-utils)");
  }
  if (result.error) throw result.error;
  if (result.status === 0) return [];
  // 1: the document is not well-formed XML; 3: it breaks the schema. Anything else (5: the schema
  // does not compile) is a broken test set-up, not an answer about the document.
  if (result.status !== 1 && result.status !== 3) throw new Error(`xmllint could not check the document (status ${result.status}): ${result.stderr}`);
  return result.stderr.split('\n').filter((line) => line !== '' && !/ fails to validate$/.test(line));
}
