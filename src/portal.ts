/**
 * The composition root: builds every dependency from the config (or takes the ones a test passes
 * in), opens and migrates the database, and builds the app. It does not listen; server.ts does.
 */
import fs from 'node:fs';
import type Koa from 'koa';
import type Router from '@koa/router';
import { buildApp } from './app.js';
import { createCaptureMailer, createSmtpMailer, type Mailer } from './clients/mailer.js';
import { createOpenLearningClient, type OpenLearningClient } from './clients/openlearning-api.js';
import { createTokenVerification } from './clients/token-verify-pool.js';
import { systemClock, type Clock } from './clock.js';
import { ConfigError, dataDirProblem, type Config } from './config.js';
import { startBackgroundCheckpoints } from './db/background-checkpoint.js';
import { dataPaths, modeDirectories } from './data-paths.js';
import { openDatabase } from './db/connection.js';
import { migrate } from './db/migrate.js';
import type { Deps } from './deps.js';
import { ensureFirstAdmin } from './commands/staff.js';
import { JobRunner } from './jobs/runner.js';
import { newProcessOwner } from './jobs/job.js';
import { ProcessPresence } from './jobs/presence.js';
import { jobFunctions } from './jobs/registry.js';
import { createLogger, type Logger } from './logger.js';
import { loadSandbox, type Sandbox } from './sandbox/sandbox.js';
import { createViews, type Views } from './views.js';
import { pooledRandomBytes } from './random.js';

export interface PortalOverrides {
  clock?: Clock;
  logger?: Logger;
  mailer?: Mailer;
  openlearning?: OpenLearningClient;
  randomBytes?: (size: number) => Buffer;
  views?: Views;
}

export interface Portal {
  deps: Deps;
  app: Koa;
  routers: Router[];
  runner: JobRunner;
  /** Present in sandbox mode only. */
  sandbox: Sandbox | undefined;
  close(): Promise<void>;
}

export function secretsOf(config: Config): string[] {
  const secrets = [config.openlearning.apiKey, config.admin.password ?? ''];
  if (config.mail.smtpUrl) {
    const password = decodeURIComponent(new URL(config.mail.smtpUrl).password);
    if (password) secrets.push(password);
  }
  return secrets.filter(Boolean);
}

export function createPortal(config: Config, overrides: PortalOverrides = {}): Portal {
  const dataDir = dataDirProblem(config.dataDir);
  if (dataDir) throw new ConfigError([dataDir]);
  const logger = overrides.logger ?? createLogger({ level: config.logLevel, secrets: secretsOf(config) });
  const mailNotSent = config.mode === 'production' && !config.mail.smtpUrl && !overrides.mailer;
  if (mailNotSent) {
    logger.warn(
      { mailDir: dataPaths(config).mail },
      `SMTP_URL is not set: NO EMAIL LEAVES THIS SERVER. Learners are told their invoice was emailed, but every email is only written to ${dataPaths(config).mail}. Set SMTP_URL and restart.`,
    );
  }
  const db = openDatabase(dataPaths(config).database);
  const migrations = migrate(db);
  // Commits no longer wait for WAL checkpoints (src/db/background-checkpoint.ts).
  const checkpoints = startBackgroundCheckpoints(db);
  if (migrations.applied.length > 0) logger.info({ applied: migrations.applied }, 'database migrated');
  warnAboutOtherMode(config, logger);
  const sandbox = config.mode === 'sandbox' ? loadSandbox(config) : undefined;
  const clock = overrides.clock ?? systemClock;
  const mailer =
    overrides.mailer ??
    (config.mail.smtpUrl ? createSmtpMailer(config.mail.smtpUrl, config.mail.from) : createCaptureMailer(dataPaths(config).mail, config.mail.from));
  // Registered before any job can run, and leases left by a killed earlier run are taken back at
  // once, so queued mail and interrupted enrolments do not wait for those leases to run out.
  const presence = new ProcessPresence({ db, clock, logger, dataDir: config.dataDir }, newProcessOwner());
  presence.start();
  presence.reclaim({ force: true });
  const runner = new JobRunner(() => deps, jobFunctions(), presence);
  const deps: Deps = {
    config,
    db,
    clock,
    logger,
    views:
      overrides.views ??
      createViews({
        timeZone: config.timeZone,
        publicUrl: config.publicUrl,
        sandbox: config.mode === 'sandbox',
        mailCaptured: !overrides.mailer && !config.mail.smtpUrl,
        mailNotSent,
      }),
    mailer,
    // Verified on a worker thread where there is a spare core (src/clients/token-verify-pool.ts).
    tokens: createTokenVerification({
      publicKeysPem: sandbox ? [...config.openlearning.publicKeysPem, sandbox.publicPem] : config.openlearning.publicKeysPem,
      jwksUrl: config.openlearning.jwksUrl,
      audience: config.openlearning.audience,
      redirectHosts: config.openlearning.redirectHosts,
      jwksCooldownMs: config.openlearning.jwksCooldownMs,
      plainHttpHosts: config.mode === 'sandbox' ? [new URL(config.publicUrl).hostname] : [],
      maxLifetimeSeconds: config.openlearning.tokenMaxAgeSeconds,
      tax: { rate: config.tax.rate, inclusive: config.tax.inclusive },
      clock,
    }),
    openlearning:
      overrides.openlearning ??
      createOpenLearningClient({
        apiUrl: config.openlearning.apiUrl,
        apiKey: config.openlearning.apiKey,
        timeoutMs: config.openlearning.apiTimeoutMs,
        enrolApi: config.openlearning.enrolApi,
        institution: config.openlearning.audience,
        logger,
      }),
    randomBytes: overrides.randomBytes ?? pooledRandomBytes(),
    background: runner,
  };
  const firstAdmin = ensureFirstAdmin(deps);
  if (firstAdmin?.generatedPassword) {
    // Printed once: it is stored only as an argon2id hash. `npx portal user reset-password` replaces it.
    logger.warn(
      { email: firstAdmin.email },
      `staff account created: sign in at ${config.publicUrl}/admin as ${firstAdmin.email} with password ${firstAdmin.generatedPassword} (shown once)`,
    );
  } else if (firstAdmin) {
    logger.info({ email: firstAdmin.email }, 'first administrator created from ADMIN_EMAIL');
  }
  const { app, routers } = buildApp(deps, { sandbox });
  return {
    deps,
    app,
    routers,
    runner,
    sandbox,
    async close() {
      await runner.stop();
      presence.stop();
      await deps.tokens.close();
      await checkpoints.stop();
      mailer.close();
      db.close();
    },
  };
}

/**
 * Sandbox and production data never mix (the sandbox lives in DATA_DIR/sandbox/). Say so when the
 * other mode's data is found, so a production server that lost its configuration is noticed.
 */
function warnAboutOtherMode(config: Config, logger: Logger): void {
  const { sandbox: sandboxDir, productionDatabase: productionDb } = modeDirectories(config.rootDataDir);
  if (config.mode === 'production' && fs.existsSync(sandboxDir)) {
    logger.warn(
      { sandboxDir },
      `production mode: sandbox data in ${sandboxDir} is kept apart and never used here; delete that folder when you no longer need it`,
    );
  }
  if (config.mode === 'sandbox' && fs.existsSync(productionDb)) {
    logger.error(
      { productionDb },
      `SANDBOX MODE although a production database exists at ${productionDb}: no OpenLearning key is configured (was the .env file lost?). Production data is untouched; configure the key and restart.`,
    );
  }
}
