/**
 * Billing links and spent tokens written before migration 019 (43-character links; a replayed
 * "Join now" found its billing page through enrolment_requests.jti) keep working after the upgrade:
 * the link opens, and the same token posted again leads back to it.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openDatabase } from '../../src/db/connection.js';
import { migrate, readMigrations } from '../../src/db/migrate.js';
import { FakeClock } from '../helpers/clock.js';
import { startTestPortal, tempDir, type TestPortal } from '../helpers/portal.js';
import { enrolmentClaims, signEnrolmentToken } from '../helpers/tokens.js';

const LEGACY_TOKEN = 'LegacyBillingLink_made-before-019-abcdefghi';
const JTI = 'jti-written-before-019';
let t: TestPortal;
let clock: FakeClock;

beforeAll(async () => {
  clock = new FakeClock();
  const dataDir = tempDir();
  const db = openDatabase(path.join(dataDir, 'portal.db'));
  migrate(
    db,
    readMigrations().filter((m) => m.version < 19),
  );
  const now = clock.now().toISOString();
  const later = new Date(clock.now().getTime() + 24 * 3600_000).toISOString();
  db.prepare(
    `INSERT INTO enrolment_requests (token, jti, ol_user_id, audience, course_id, class_id, title, currency, price_minor, redirect_url, created_at, expires_at)
     VALUES (?, ?, 'ol-upgraded', 'test-institution', 'course-marine-101', 'class-upgrade', 'Introduction to Marine Biology', 'AUD', 110000, 'https://www.openlearning.com/courses/marine/', ?, ?)`,
  ).run(LEGACY_TOKEN, JTI, now, later);
  db.prepare(`INSERT INTO used_tokens (jti, audience, used_at, token_expires_at) VALUES (?, 'test-institution', ?, ?)`).run(JTI, now, later);
  db.close();
  t = await startTestPortal({ dataDir, clock });
});
afterAll(async () => t?.close());

describe('after the upgrade to time-ordered billing links', () => {
  test('a 43-character billing link made before it still opens its billing page', async () => {
    expect(LEGACY_TOKEN).toHaveLength(43);
    const page = await t.get(`/billing/${LEGACY_TOKEN}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Introduction to Marine Biology');
  });

  test('its token posted again leads back to that billing page', async () => {
    const jwt = await signEnrolmentToken(enrolmentClaims({ jti: JTI, sub: 'ol-upgraded', class: 'class-upgrade' }), { now: clock.now() });
    const requestsBefore = t.count('enrolment_requests');
    const again = await t.post('/enrol', { jwt });
    expect(again.status).toBe(303);
    expect(new URL(again.headers.get('location')!).pathname).toBe(`/billing/${LEGACY_TOKEN}`);
    expect(t.count('enrolment_requests')).toBe(requestsBefore);
  });

  test('a new landing gets a link that starts with its time, and so sorts after the older ones', async () => {
    const first = await t.post('/enrol', { jwt: await signEnrolmentToken(enrolmentClaims({ sub: 'ol-new-1' }), { now: clock.now() }) });
    clock.advance(1000);
    const second = await t.post('/enrol', { jwt: await signEnrolmentToken(enrolmentClaims({ sub: 'ol-new-2' }), { now: clock.now() }) });
    const [a, b] = [first, second].map((r) => new URL(r.headers.get('location')!).pathname.replace('/billing/', ''));
    expect(a).toMatch(/^[0-9a-z]{9}[A-Za-z0-9_-]{43}$/);
    expect(a! < b!).toBe(true);
    expect((await t.get(`/billing/${b}`)).status).toBe(200);
  });
});
