/**
 * Landings that arrive together share one commit (src/db/grouped-write.ts). What a learner and
 * OpenLearning see must not change: each token is spent once even when its copies land in the same
 * group, and one refused landing does not take the others down with it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { acceptEnrolment } from '../../src/commands/accept-enrolment.js';
import { groupedWrite } from '../../src/db/grouped-write.js';
import { startTestPortal, type TestPortal } from '../helpers/portal.js';
import { enrolmentClaims, signEnrolmentToken } from '../helpers/tokens.js';

let t: TestPortal;

beforeAll(async () => {
  t = await startTestPortal();
});
afterAll(async () => t?.close());

const sign = (overrides: Record<string, unknown>) => signEnrolmentToken(enrolmentClaims(overrides), { now: t.clock.now() });

describe('landings in one group', () => {
  test('the same token posted several times at once creates one billing page, which every copy is sent to; the other learners get their own', async () => {
    const replayed = await sign({ sub: 'burst-learner' });
    const others = await Promise.all([1, 2, 3, 4].map((i) => sign({ sub: `burst-other-${i}` })));
    const requestsBefore = t.count('enrolment_requests');
    const responses = await Promise.all([replayed, others[0]!, replayed, others[1]!, replayed, others[2]!, others[3]!].map((jwt) => t.post('/enrol', { jwt })));
    const statuses = responses.map((r) => r.status);
    expect(statuses).toEqual([303, 303, 303, 303, 303, 303, 303]);
    for (const r of responses) expect(r.headers.get('location')).toMatch(/\/billing\/[0-9a-z]{9}[A-Za-z0-9_-]{43}$/);
    const copies = [0, 2, 4].map((i) => responses[i]!.headers.get('location'));
    expect(new Set(copies).size).toBe(1);
    expect(t.count('enrolment_requests')).toBe(requestsBefore + 5);
  });

  test('copies of one token verified in the same turn: the second creates nothing and is sent to the billing page of the first', async () => {
    const jwt = await sign({ sub: 'same-turn-learner' });
    const other = await sign({ sub: 'same-turn-other' });
    const deps = t.portal.deps;
    // All three start before any is written, so they land in the same group.
    const outcomes = await Promise.allSettled([acceptEnrolment(deps, { jwt }), acceptEnrolment(deps, { jwt }), acceptEnrolment(deps, { jwt: other })]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    const [a, b, c] = outcomes.map((o) => (o as PromiseFulfilledResult<{ kind: string; token?: string }>).value);
    expect(a).toEqual(b);
    expect(c!.token).not.toBe(a!.token);
  });

  test('a write that fails is rolled back alone; the others in its group commit', async () => {
    const { db } = t.portal.deps;
    db.exec('CREATE TABLE IF NOT EXISTS group_probe (v TEXT NOT NULL UNIQUE)');
    const insert = (v: string) => () => db.prepare('INSERT INTO group_probe (v) VALUES (?)').run(v);
    const outcomes = await Promise.allSettled([
      groupedWrite(db, insert('a')),
      groupedWrite(db, () => {
        insert('b')();
        insert('a')(); // violates UNIQUE after writing 'b': 'b' must go too
      }),
      groupedWrite(db, insert('c')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(db.prepare('SELECT v FROM group_probe ORDER BY v').pluck().all()).toEqual(['a', 'c']);
    db.exec('DROP TABLE group_probe');
  });
});
