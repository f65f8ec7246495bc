#!/usr/bin/env node
/**
 * `npx portal <command>`: the one entry point for people running the portal. Every command loads
 * the same validated config; a bad config prints every problem with a hint and exits 1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { ConfigError, JOB_NAMES, loadConfig, type Config, type JobName } from './config.js';
import { dataPaths } from './data-paths.js';
import { openDatabase } from './db/connection.js';
import { migrate } from './db/migrate.js';
import readline from 'node:readline';
import { systemClock } from './clock.js';
import { COMMAND_LINE_ACTOR } from './commands/actors.js';
import type { StatementFormat } from './clients/statements/index.js';
import type { Deps } from './deps.js';
import { AppError } from './errors.js';
import { createStaff, setStaffEnabled, setStaffPassword, StaffError } from './commands/staff.js';
import type { EInvoiceFormat } from './commands/e-invoices.js';
import type { Db } from './db/connection.js';
import { lastJobRuns } from './db/jobs.js';
import { findStaffByEmail, listStaff, type Role } from './db/staff.js';
import type { serve as serveType } from './server.js';

function configOrExit(): Config {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

export function buildCli(): Command {
  const program = new Command('portal')
    .description('Invoice / bank-transfer enrolment portal for OpenLearning courses')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: false });

  program
    .command('serve')
    .description('Start the web server and the scheduled jobs (what `npm start` runs)')
    .action(async () => {
      const config = configOrExit();
      // Loaded on demand: `portal --help` and the small commands start fast.
      const { serve } = (await import('./server.js')) as { serve: typeof serveType };
      const running = await serve(config);
      const stop = (signal: string) => {
        running.portal.deps.logger.info({ signal }, 'signal received');
        const force = setTimeout(() => {
          running.portal.deps.logger.error('shutdown took longer than 30 s; exiting anyway');
          process.exit(1);
        }, 30_000);
        force.unref();
        void running.close().then(() => process.exit(0));
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });

  program
    .command('migrate')
    .description('Apply pending database migrations and exit (serve also does this on start)')
    .action(() => {
      const config = configOrExit();
      const db = openDatabase(dataPaths(config).database);
      try {
        const result = migrate(db);
        console.log(result.applied.length > 0 ? `Applied: ${result.applied.join(', ')}` : 'The database is up to date.');
        console.log(`Schema version ${result.current} in ${dataPaths(config).database}`);
      } finally {
        db.close();
      }
    });

  program
    .command('config')
    .description('Check the configuration and print what the portal would run with (secrets hidden)')
    .addOption(new Option('--json', 'print JSON'))
    .action((options: { json?: boolean }) => {
      const config = configOrExit();
      const shown = {
        mode: config.mode,
        publicUrl: config.publicUrl,
        listen: `${config.host}:${config.port}`,
        dataDir: config.dataDir,
        openlearning: {
          publicKeys: config.openlearning.publicKeysPem.length,
          jwksUrl: config.openlearning.jwksUrl ?? null,
          audience: config.openlearning.audience,
          apiUrl: config.openlearning.apiUrl,
          apiKey: config.openlearning.apiKey ? '(set)' : '(missing)',
        },
        mail: config.mail.smtpUrl ? `SMTP ${new URL(config.mail.smtpUrl).host}` : `written to ${dataPaths(config).mail}/`,
        seller: config.seller.name,
        tax: `${config.tax.label} ${config.tax.rate.percent}% ${config.tax.inclusive ? 'included in' : 'added to'} prices`,
        invoices: config.invoice,
        jobs: config.jobs,
      };
      console.log(options.json ? JSON.stringify(shown, null, 2) : `Configuration is valid.\n${JSON.stringify(shown, null, 2)}`);
    });

  const jobs = program.command('jobs').description('Scheduled jobs (they also run on their schedules inside `serve`)');

  jobs
    .command('list')
    .description('List the jobs with their schedules and last runs')
    .action(async () => {
      const config = configOrExit();
      const { JOBS } = await import('./jobs/registry.js');
      const db = openDatabase(dataPaths(config).database);
      try {
        migrate(db);
        const last = lastJobRuns(db);
        for (const name of JOB_NAMES) {
          const run = last.get(name);
          console.log(`${name.padEnd(18)} ${config.jobs.schedules[name].padEnd(16)} ${JOBS[name].description}`);
          console.log(
            `${''.padEnd(18)} ${''.padEnd(16)} last run: ${run ? `${run.startedAt} ${run.status} ${JSON.stringify(run.counts)}${run.error ? ` (${run.error})` : ''}` : 'never'}`,
          );
        }
        console.log(
          `\nSchedules are cron expressions in ${config.timeZone}; change them with SCHEDULE_<JOB_NAME> variables.${config.jobs.enabled ? '' : ' JOBS_ENABLED=false: serve does not run them.'}`,
        );
      } finally {
        db.close();
      }
    });

  jobs
    .command('run <name>')
    .description(`Run one job now and exit (${JOB_NAMES.join(', ')})`)
    .action(async (name: string) => {
      if (!(JOB_NAMES as readonly string[]).includes(name)) {
        process.stderr.write(`Unknown job "${name}". Jobs: ${JOB_NAMES.join(', ')}\n`);
        process.exit(1);
      }
      await runJobOnce(name as JobName);
    });

  program
    .command('backup')
    .description('Back up the database now into DATA_DIR/backups/ (same as `jobs run backup`)')
    .action(async () => {
      await runJobOnce('backup');
    });

  const statements = program.command('statements').description('Bank statements: import a file, match its credits to invoices (see the Statements page)');

  statements
    .command('import <file>')
    .description('Import a bank statement (camt.052/053/054, MT940 or CSV) and match each credit to its invoice')
    .addOption(new Option('--format <format>', 'the file format').choices(['auto', 'camt', 'mt940', 'csv']).default('auto'))
    .option('--csv-profile <name>', 'for CSV: a built-in (commbank, westpac, wise, generic) or saved profile')
    .option('--confirm-exact', 'record the exact matches at once, as "Record all exact matches" does')
    .option('--json', 'print one JSON object with the counts')
    .action(async (file: string, options: { format: 'auto' | StatementFormat; csvProfile?: string; confirmExact?: boolean; json?: boolean }) => {
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(file);
      } catch (error) {
        process.stderr.write(`Cannot read ${file}: ${(error as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      const { importStatement } = await import('./commands/statements.js');
      await withPortal(async (deps) => {
        const outcome = importStatement(deps, COMMAND_LINE_ACTOR, {
          bytes,
          fileName: path.basename(file),
          format: options.format,
          csvProfile: options.csvProfile,
          confirmExact: options.confirmExact ?? false,
        });
        const { summary } = outcome;
        if (options.json) console.log(JSON.stringify(summary));
        else {
          console.log(
            `Statement ${summary.statement}: ${summary.lines} lines, ${summary.credits} new credits, ${summary.ignored} debits or reversals ignored, ` +
              `${summary.duplicates} already imported.`,
          );
          console.log(
            `Exact ${summary.exact}, amount differs ${summary.amountDiffers}, suggested ${summary.suggested}, unmatched ${summary.unmatched}; recorded ${summary.recorded}.`,
          );
          console.log(`Review: ${deps.config.publicUrl}/admin/statements/${summary.statement}`);
        }
        for (const problem of outcome.balanceProblems) process.stderr.write(`Balance: ${problem}\n`);
        for (const problem of outcome.recordProblems) process.stderr.write(`Not recorded: ${problem}\n`);
      });
    });

  statements
    .command('profiles')
    .description('List the CSV profiles (built-in and saved)')
    .action(async () => {
      const { csvProfiles } = await import('./commands/statements.js');
      await withDatabase(async (deps) => {
        for (const choice of csvProfiles(deps))
          console.log(`${choice.name.padEnd(20)} ${choice.builtIn ? 'built-in' : 'saved   '}  ${JSON.stringify(choice.profile)}`);
      });
    });

  const user = program.command('user').description('Manage staff accounts (finance desk sign-in)');

  user
    .command('add <email>')
    .description('Add a staff account; the password is asked for (or read from stdin with --password-stdin)')
    .addOption(new Option('--role <role>', 'finance: invoices and payments; admin: also staff accounts').choices(['finance', 'admin']).makeOptionMandatory())
    .option('--name <name>', 'display name')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (email: string, options: { role: Role; name?: string; passwordStdin?: boolean }) => {
      await withDatabase(async (deps) => {
        const password = await readNewPassword(options.passwordStdin);
        const staff = await createStaff(deps, COMMAND_LINE_ACTOR, { email, name: options.name ?? null, role: options.role, password });
        console.log(`Added ${staff.email} (${staff.role}).`);
      });
    });

  user
    .command('list')
    .description('List staff accounts')
    .action(async () => {
      await withDatabase(async (deps) => {
        const rows = listStaff(deps.db);
        if (rows.length === 0) console.log('No staff accounts yet. Add one with: npx portal user add <email> --role admin');
        for (const s of rows) {
          console.log(
            [
              s.email.padEnd(36),
              s.role.padEnd(8),
              s.disabledAt ? `disabled ${s.disabledAt.slice(0, 10)}` : 'active',
              s.lastSignInAt ? `last sign-in ${s.lastSignInAt.slice(0, 16).replace('T', ' ')} UTC` : 'never signed in',
            ].join('  '),
          );
        }
      });
    });

  user
    .command('reset-password <email>')
    .description('Set a new password and sign the account out everywhere')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (email: string, options: { passwordStdin?: boolean }) => {
      await withDatabase(async (deps) => {
        const staff = requireStaffAccount(deps, email);
        const password = await readNewPassword(options.passwordStdin);
        await setStaffPassword(deps, COMMAND_LINE_ACTOR, staff, password);
        console.log(`Password of ${staff.email} changed; its sessions were signed out.`);
      });
    });

  user
    .command('disable <email>')
    .description('Disable an account and sign it out everywhere')
    .action(async (email: string) => {
      await withDatabase(async (deps) => {
        setStaffEnabled(deps, COMMAND_LINE_ACTOR, requireStaffAccount(deps, email), false);
        console.log(`Disabled ${email}.`);
      });
    });

  user
    .command('enable <email>')
    .description('Enable a disabled account again')
    .action(async (email: string) => {
      await withDatabase(async (deps) => {
        setStaffEnabled(deps, COMMAND_LINE_ACTOR, requireStaffAccount(deps, email), true);
        console.log(`Enabled ${email}.`);
      });
    });

  program
    .command('einvoice <number>')
    .description('Print the e-invoice of an invoice or credit note (EN 16931): Peppol UBL, or the Factur-X CII inside its PDF')
    .addOption(new Option('--format <format>', 'ubl (Peppol BIS Billing 3.0) or cii (Factur-X, EN 16931 profile)').choices(['ubl', 'cii']).default('ubl'))
    .action(async (number: string, options: { format: EInvoiceFormat }) => {
      const { eInvoiceXml, findEInvoice } = await import('./commands/e-invoices.js');
      await withDatabase(async (deps) => {
        const found = findEInvoice(deps, number);
        if (!found) throw new StaffError(`No invoice or credit note numbered ${number}.`);
        try {
          process.stdout.write(eInvoiceXml(found.document, options.format));
        } catch (error) {
          if (error instanceof AppError) throw new StaffError(`${number} cannot be an e-invoice: ${error.detail ?? error.message}`);
          throw error;
        }
      });
    });

  return program;
}

/** Runs a job in this process (same locks as the server's scheduler); SIGTERM stops it after its batch. */
async function runJobOnce(name: JobName): Promise<void> {
  const config = configOrExit();
  const { createPortal } = await import('./portal.js');
  const portal = createPortal(config);
  const stop = () => void portal.runner.stop();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    const run = await portal.runner.run(name);
    if (run.skipped === 'running-elsewhere') console.log(`${name} is running in another process; nothing done.`);
    else console.log(`${name} ${run.status} in ${run.ms} ms: ${JSON.stringify(run.counts)}`);
    // Email queued by the job goes out now rather than at the server's next tick.
    if (name !== 'deliver-mail' && run.status === 'succeeded') await portal.runner.run('deliver-mail');
  } catch (error) {
    process.exitCode = 1;
    process.stderr.write(`${name} failed: ${error instanceof Error ? error.message : String(error)}\n`);
  } finally {
    await portal.close();
  }
}

/**
 * The whole portal for a command that changes invoices (emails and enrolments it queues are sent
 * before the command exits); logs go to stderr so stdout stays for the command's own output.
 */
async function withPortal(fn: (deps: Deps) => Promise<void>): Promise<void> {
  const config = configOrExit();
  const { createPortal, secretsOf } = await import('./portal.js');
  const { createLogger } = await import('./logger.js');
  const portal = createPortal(config, { logger: createLogger({ level: config.logLevel, secrets: secretsOf(config), destination: 2 }) });
  try {
    await fn(portal.deps);
    await portal.runner.idle();
  } catch (error) {
    if (error instanceof AppError) {
      const problem = typeof error.pageData.problem === 'string' ? ` ${error.pageData.problem}` : '';
      process.stderr.write(`${error.spec.title} (${error.id}).${problem}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  } finally {
    await portal.close();
  }
}

/** Opens (and migrates) the database for a one-off command. */
async function withDatabase(fn: (deps: { db: Db; clock: typeof systemClock; config: Config }) => Promise<void>): Promise<void> {
  const config = configOrExit();
  const db = openDatabase(dataPaths(config).database);
  try {
    migrate(db);
    await fn({ db, clock: systemClock, config });
  } catch (error) {
    if (error instanceof StaffError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  } finally {
    db.close();
  }
}

function requireStaffAccount(deps: { db: Db }, email: string) {
  const staff = findStaffByEmail(deps.db, email);
  if (!staff) throw new StaffError(`No staff account for ${email}. See: npx portal user list`);
  return staff;
}

async function readNewPassword(fromStdin: boolean | undefined): Promise<string> {
  if (fromStdin) {
    let text = '';
    for await (const chunk of process.stdin) text += chunk;
    return text.replace(/\r?\n$/, '');
  }
  if (!process.stdin.isTTY) throw new StaffError('No terminal to ask for the password: use --password-stdin.');
  const first = await promptHidden('New password (at least 12 characters): ');
  const second = await promptHidden('Same password again: ');
  if (first !== second) throw new StaffError('The two passwords are not the same.');
  return first;
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    const output = rl as unknown as { _writeToOutput: (s: string) => void };
    let asked = false;
    output._writeToOutput = (s: string) => {
      if (!asked) {
        process.stdout.write(s);
        asked = true;
      }
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    });
  });
}

export async function runCli(argv: string[]): Promise<void> {
  await buildCli().parseAsync(argv, { from: 'user' });
}

// Run when executed directly (bin or `node dist/cli.js`), not when imported by main.ts or tests.
if (isMainModule()) {
  runCli(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

function isMainModule(): boolean {
  const invoked = process.argv[1];
  if (!invoked) return false;
  try {
    return fs.realpathSync(invoked) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}
