import { toDbTime, addSeconds } from '../clock.js';
import { groupedWrite } from '../db/grouped-write.js';
import { findLiveInvoiceFor } from '../db/invoices.js';
import { findRequestByJti, insertEnrolmentRequest, linkTokenToRequest, markTokenUsed, setRequestLanguage } from '../db/requests.js';
import type { Invoice } from '../domain/invoice.js';
import type { Deps } from '../deps.js';
import type { Language } from '../i18n.js';
import { AppError } from '../errors.js';
import { newSecretToken } from './secret-token.js';

export const BILLING_LINK_HOURS = 24;

/**
 * Which claims the gateway sends is not fully documented: their names (not values) go into the
 * landing's request log line (one line per landing, not two: see docs/benchmarks.md).
 */
export interface AcceptedTokenLog {
  jti: string;
  offering: 'class' | 'program';
  claims: string[];
}

export type AcceptedEnrolment = ({ kind: 'billing'; token: string } | { kind: 'existing-invoice'; invoice: Invoice }) & { log: AcceptedTokenLog };

/**
 * Step 1 of the learner flow: the form OpenLearning posted is verified (no writes), then in one
 * transaction the token's jti is spent and either a billing request is stored or, when this
 * learner already has a live invoice for this class or program, that invoice is returned instead
 * of a second one.
 * Under load, the landings verified in one event-loop turn share a commit (groupedWrite), each
 * still all-or-nothing and each seeing the jtis spent before it.
 */
export async function acceptEnrolment(deps: Pick<Deps, 'db' | 'clock' | 'tokens' | 'randomBytes'>, form: Record<string, unknown>): Promise<AcceptedEnrolment> {
  const claims = await deps.tokens.verifyPost(form);
  const { offering } = claims;
  const log: AcceptedTokenLog = { jti: claims.jti, offering: offering.kind, claims: claims.claimNames };
  const ids =
    offering.kind === 'program'
      ? { courseId: '', classId: '', programId: offering.programId }
      : { courseId: offering.courseId, classId: offering.classId, programId: null };
  const now = deps.clock.now();
  const token = newSecretToken(deps.randomBytes, now);
  return groupedWrite(deps.db, () => {
    const fresh = markTokenUsed(deps.db, {
      jti: claims.jti,
      audience: claims.audience,
      usedAt: toDbTime(now),
      tokenExpiresAt: toDbTime(claims.expiresAt),
    });
    const existing = findLiveInvoiceFor(deps.db, claims.olUserId, ids);
    if (!fresh) {
      // The same "Join now" posted again (the Back button, a reload): nothing new is created, but a
      // learner who already has an invoice or a billing page for it is taken back there.
      if (existing) return { kind: 'existing-invoice', invoice: existing, log } as const;
      const request = findRequestByJti(deps.db, claims.jti);
      if (request && request.invoiceId === null && request.expiresAt > toDbTime(now)) return { kind: 'billing', token: request.token, log } as const;
      throw new AppError('token.replayed', `jti ${claims.jti} was already used`, { courseUrl: claims.redirectUrl });
    }
    if (existing) return { kind: 'existing-invoice', invoice: existing, log } as const;
    const requestId = insertEnrolmentRequest(deps.db, {
      token,
      jti: claims.jti,
      olUserId: claims.olUserId,
      audience: claims.audience,
      ...ids,
      title: claims.title,
      currency: claims.currency,
      priceMinor: claims.priceMinor,
      redirectUrl: claims.redirectUrl,
      classStartDate: claims.classStartDate,
      createdAt: toDbTime(now),
      expiresAt: toDbTime(addSeconds(now, BILLING_LINK_HOURS * 3600)),
    });
    linkTokenToRequest(deps.db, claims.jti, requestId);
    return { kind: 'billing', token, log } as const;
  });
}

/** The learner switched the billing page's language: later visits to it, and the invoice, use it. */
export function rememberBillingLanguage(deps: Pick<Deps, 'db'>, requestId: number, language: Language): void {
  setRequestLanguage(deps.db, requestId, language);
}
