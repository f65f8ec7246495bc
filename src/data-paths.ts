/**
 * Every file the portal keeps under DATA_DIR, named in one place. `dataDir` is the mode's own
 * directory (DATA_DIR, or DATA_DIR/sandbox in sandbox mode); `rootDataDir` is DATA_DIR itself.
 */
import path from 'node:path';

export interface DataPaths {
  /** The mode's directory: everything below is this mode's. */
  dir: string;
  database: string;
  /** Issued invoice PDFs, never changed after issue. */
  invoices: string;
  invoicePdf(number: string): string;
  /** Credit notes, like invoices, never changed after issue. */
  creditNotePdf(number: string): string;
  /** Emails written as .eml files when no SMTP server is configured. */
  mail: string;
  backups: string;
  /** The sandbox's stand-in for OpenLearning's signing key. */
  sandboxKey: string;
  /** One lock file per running portal process: held while it lives, so a dead one's leases can be taken back. */
  processLock(name: string): string;
}

export function dataPaths(config: { dataDir: string }): DataPaths {
  const dir = config.dataDir;
  const invoices = path.join(dir, 'invoices');
  return {
    dir,
    database: path.join(dir, 'portal.db'),
    invoices,
    invoicePdf: (number) => path.join(invoices, `${number}.pdf`),
    creditNotePdf: (number) => path.join(dir, 'credit-notes', `${number}.pdf`),
    mail: path.join(dir, 'mail'),
    backups: path.join(dir, 'backups'),
    sandboxKey: path.join(dir, 'openlearning-sandbox-key.pem'),
    processLock: (name) => path.join(dir, 'run', `${name}.lock`),
  };
}

/** Where each mode keeps its data inside DATA_DIR, to warn when the other mode's data is found. */
export function modeDirectories(rootDataDir: string): { sandbox: string; productionDatabase: string } {
  return { sandbox: path.join(rootDataDir, 'sandbox'), productionDatabase: path.join(rootDataDir, 'portal.db') };
}
