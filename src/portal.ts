/**
 * The composition root: builds every dependency from the config (or takes the ones a test passes
 * in), opens and migrates the database, and builds the app. It does not listen; server.ts does.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Koa from 'koa';
import type Router from '@koa/router';
import { buildApp } from './app.js';
import { createCaptureMailer, createSmtpMailer, type Mailer } from './clients/mailer.js';
import { createOpenLearningClient, type OpenLearningClient } from './clients/openlearning-api.js';
import { createTokenVerification } from './clients/token-verify-pool.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { startBackgroundCheckpoints } from './db/background-checkpoint.js';
import { databaseFile, openDatabase } from './db/connection.js';
import { migrate } from './db/migrate.js';
import type { Deps } from './deps.js';
import { ensureFirstAdmin } from './commands/staff.js';
import { JobRunner } from './jobs/runner.js';
import { jobFunctions } from './jobs/registry.js';
import { createLogger, type Logger } from './logger.js';
import { loadSandbox, type Sandbox } from './sandbox/sandbox.js';
import { createViews, type Views } from './views.js';

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

export function mailDirectory(config: Pick<Config, 'dataDir'>): string {
  return path.join(config.dataDir, 'mail');
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
  fs.mkdirSync(config.dataDir, { recursive: true });
  const logger = overrides.logger ?? createLogger({ level: config.logLevel, secrets: secretsOf(config) });
  const db = openDatabase(databaseFile(config.dataDir));
  const migrations = migrate(db);
  // Commits no longer wait for WAL checkpoints (src/db/background-checkpoint.ts).
  const checkpoints = startBackgroundCheckpoints(db);
  if (migrations.applied.length > 0) logger.info({ applied: migrations.applied }, 'database migrated');
  warnAboutOtherMode(config, logger);
  const sandbox = config.mode === 'sandbox' ? loadSandbox(config) : undefined;
  const clock = overrides.clock ?? systemClock;
  const mailer =
    overrides.mailer ??
    (config.mail.smtpUrl ? createSmtpMailer(config.mail.smtpUrl, config.mail.from) : createCaptureMailer(mailDirectory(config), config.mail.from));
  const runner = new JobRunner(() => deps, jobFunctions());
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
      clock,
    }),
    openlearning:
      overrides.openlearning ??
      createOpenLearningClient({ apiUrl: config.openlearning.apiUrl, apiKey: config.openlearning.apiKey, timeoutMs: config.openlearning.apiTimeoutMs }),
    randomBytes: overrides.randomBytes ?? randomBytes,
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
  const sandboxDir = path.join(config.rootDataDir, 'sandbox');
  const productionDb = path.join(config.rootDataDir, 'portal.db');
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
