/**
 * The production-mode settings every benchmark's portal shares: an Australian, tax-registered
 * seller, an account to pay into, OpenLearning and SMTP on addresses that answer nothing (the
 * benchmarks measure the portal, not its neighbours). Each benchmark adds its own port, data
 * directory and key.
 */
export const BENCH_PORTAL_ENV = {
  OPENLEARNING_AUDIENCE: 'bench',
  OPENLEARNING_API_KEY: 'bench-api-key-000000',
  OPENLEARNING_API_URL: 'http://127.0.0.1:9/v2.2',
  MAIL_FROM: 'Bench <bench@example.edu>',
  SELLER_NAME: 'Bench Academy',
  SELLER_ADDRESS: '1 Bench Street',
  SELLER_COUNTRY: 'AU',
  SELLER_TAX_ID: '51 824 753 556',
  BANK_ACCOUNT_NAME: 'Bench Academy',
  BANK_IBAN: 'DE89370400440532013000',
  TAX_RATE: '10',
  TIMEZONE: 'Australia/Sydney',
  LOG_LEVEL: 'silent',
} as const;
