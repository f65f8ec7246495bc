/**
 * The sandbox's stand-in for OpenLearning: a demo course page whose "Join now" buttons post a
 * freshly signed token to /enrol exactly as OpenLearning does (for classes and for a program), the
 * enrolment API the portal calls after payment (the form call, the JSON call and the program
 * call), and the pages that show who got enrolled. Mounted only in sandbox mode: with a real key
 * configured, every /sandbox URL is a 404.
 */
import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import type { JWTPayload } from 'jose';
import { SignJWT } from 'jose/jwt/sign';
import type { Context } from 'koa';
import { JSON_CONTENT_TYPE } from '../clients/openlearning-api.js';
import { toDbTime } from '../clock.js';
import { recordSandboxEnrolment, sandboxEnrolments } from '../db/sandbox.js';
import { parseDecimalAmount, formatMoney } from '../domain/money.js';
import { invoiceAmounts, formatTaxRate } from '../domain/tax.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { DEMO_CLASSES, DEMO_COURSE, DEMO_LEARNERS, DEMO_PROGRAMS } from '../sandbox/demo-course.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { render } from './render.js';

const TOKEN_MINUTES = 15;
const MAX_JSON_BYTES = 16 * 1024;

export function sandboxRoutes(deps: Deps, sandbox: Sandbox): Router {
  const router = new Router({ prefix: '/sandbox' });
  const { config, db, clock } = deps;

  /** Enrolled learners by demo class or program id (the sandbox table keeps both in class_id: their ids differ). */
  function enrolmentsByClass(): Map<string, { userId: string; enrolledAt: string }[]> {
    const rows = sandboxEnrolments(db);
    const byClass = new Map<string, { userId: string; enrolledAt: string }[]>();
    for (const row of rows) byClass.set(row.classId, [...(byClass.get(row.classId) ?? []), row]);
    return byClass;
  }

  /** Signed when the page is shown, like OpenLearning's course page: valid for 15 minutes. */
  function signJoinToken(claims: JWTPayload, iat: number): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setJti(randomUUID())
      .setAudience(config.openlearning.audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + TOKEN_MINUTES * 60)
      .sign(sandbox.privateKey);
  }

  function totalOf(price: string, currency: string): string {
    const minor = (parseDecimalAmount(price, currency) as { minor: number }).minor;
    return formatMoney(invoiceAmounts(minor, currency, config.tax.rate, config.tax.inclusive).totalMinor, currency);
  }

  router.get('sandbox', '/', async function showDemoCourse(ctx) {
    const typed = typeof ctx.query.learner === 'string' ? ctx.query.learner.trim().slice(0, 100) : '';
    const learner = /^[\w.@-]{1,100}$/.test(typed) ? typed : DEMO_LEARNERS[0]!.id;
    const now = clock.now();
    const iat = Math.floor(now.getTime() / 1000);
    const enrolled = enrolmentsByClass();
    const classes = await Promise.all(
      DEMO_CLASSES.map(async (demo) => ({
        ...demo,
        jwt: await signJoinToken(
          {
            sub: learner,
            title: DEMO_COURSE.title,
            course: DEMO_COURSE.id,
            class: demo.id,
            currency: demo.currency,
            price: demo.price,
            redirect_url: `${config.publicUrl}/sandbox/course/${demo.id}`,
          },
          iat,
        ),
        total: totalOf(demo.price, demo.currency),
        enrolled: enrolled.get(demo.id) ?? [],
        learnerEnrolled: (enrolled.get(demo.id) ?? []).some((e) => e.userId === learner),
      })),
    );
    // A program token, as the institution External Gateway sends it: no course or class.
    const programs = await Promise.all(
      DEMO_PROGRAMS.map(async (demo) => ({
        ...demo,
        jwt: await signJoinToken(
          {
            sub: learner,
            title: demo.title,
            program: demo.id,
            currency: demo.currency,
            price: demo.price,
            redirect_url: `${config.publicUrl}/sandbox/program/${demo.id}`,
          },
          iat,
        ),
        total: totalOf(demo.price, demo.currency),
        enrolled: enrolled.get(demo.id) ?? [],
        learnerEnrolled: (enrolled.get(demo.id) ?? []).some((e) => e.userId === learner),
      })),
    );
    render(ctx, 'sandbox/course.njk', {
      title: `${DEMO_COURSE.title} (sandbox)`,
      course: DEMO_COURSE,
      classes,
      programs,
      learner,
      learners: DEMO_LEARNERS,
      tax: { label: config.tax.label, rate: formatTaxRate(config.tax.rate), inclusive: config.tax.inclusive },
      tokenMinutes: TOKEN_MINUTES,
    });
  });

  /** Where redirect_url points: the course "on OpenLearning", with the class's enrolled learners. */
  router.get('sandbox-course', '/course/:classId', function showDemoClass(ctx) {
    const demo = DEMO_CLASSES.find((c) => c.id === ctx.params.classId);
    if (!demo) throw new AppError('not_found', `no demo class ${ctx.params.classId}`);
    render(ctx, 'sandbox/class.njk', {
      title: `${DEMO_COURSE.title}: ${demo.name} (sandbox)`,
      heading: DEMO_COURSE.title,
      subheading: demo.name,
      kind: 'class',
      enrolled: enrolmentsByClass().get(demo.id) ?? [],
    });
  });

  /** Where a program's redirect_url points: the program "on OpenLearning", with its enrolled learners. */
  router.get('sandbox-program', '/program/:programId', function showDemoProgram(ctx) {
    const demo = DEMO_PROGRAMS.find((p) => p.id === ctx.params.programId);
    if (!demo) throw new AppError('not_found', `no demo program ${ctx.params.programId}`);
    render(ctx, 'sandbox/class.njk', {
      title: `${demo.title} (sandbox)`,
      heading: demo.title,
      subheading: 'Program',
      kind: 'program',
      enrolled: enrolmentsByClass().get(demo.id) ?? [],
    });
  });

  /** OpenLearning accepts the key in the X-API-Key header; the documented form call also in ?api_key=. */
  function apiKeyAccepted(ctx: Context, queryAllowed: boolean): boolean {
    const header = ctx.get('x-api-key');
    const query = queryAllowed && typeof ctx.query.api_key === 'string' ? ctx.query.api_key : '';
    if (header === '' && query === '') return false;
    return [header, query].filter(Boolean).every((key) => key === config.openlearning.apiKey);
  }

  function answer(ctx: Context, status: number, body: unknown): void {
    ctx.status = status;
    ctx.type = 'application/json';
    ctx.body = body;
  }

  /** The JSON calls: the exact content type (OpenLearning has answered 405 to plain application/json), then the body. */
  async function readJson(ctx: Context): Promise<Record<string, unknown> | undefined> {
    if (ctx.get('content-type') !== JSON_CONTENT_TYPE) {
      answer(ctx, 405, { detail: `Method "POST" not allowed with Content-Type ${ctx.get('content-type') || '(none)'}.` });
      return undefined;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_JSON_BYTES) {
        answer(ctx, 413, { detail: 'Request body too large.' });
        return undefined;
      }
      chunks.push(chunk);
    }
    try {
      const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as Record<string, unknown>;
    } catch {
      // answered below
    }
    answer(ctx, 400, { meta: { status: 400, error: 'JSON parse error.' }, data: null });
    return undefined;
  }

  /** Enrols once; a second enrolment of the same learner answers as OpenLearning does, "already enrolled". */
  function enrolOnce(ctx: Context, id: string, user: string, what: string, created: Record<string, unknown>): void {
    if (
      enrolmentsByClass()
        .get(id)
        ?.some((e) => e.userId === user)
    ) {
      return answer(ctx, 400, { meta: { status: 400, error: `User ${user} is already enrolled in this ${what}.` }, data: null });
    }
    recordSandboxEnrolment(db, id, user, toDbTime(clock.now()));
    answer(ctx, 201, created);
  }

  function enrolInDemoClass(ctx: Context, body: Record<string, unknown>): void {
    const demo = DEMO_CLASSES.find((c) => c.id === body.class);
    if (!demo || typeof body.user !== 'string' || body.user === '') {
      return answer(ctx, 404, { detail: `Class ${String(body.class)} or user ${String(body.user)} not found.` });
    }
    if (demo.refusesEnrolment) {
      return answer(ctx, 400, { detail: 'Sandbox: this class refuses every enrolment, to show what staff see when OpenLearning says no.' });
    }
    enrolOnce(ctx, demo.id, body.user, 'class', { class: demo.id, user: body.user, status: 'enrolled' });
  }

  /** The enrolment API, answering the portal's calls as OpenLearning's POST /enrolments/ does (form body). */
  router.post('sandbox-api-enrol', '/api/v2.2/enrolments/', function enrolByForm(ctx) {
    if (!apiKeyAccepted(ctx, true)) return answer(ctx, 401, { detail: 'Invalid API key.' });
    enrolInDemoClass(ctx, (ctx.request.body ?? {}) as Record<string, unknown>);
  });

  /** The External Gateway's JSON form of the class enrolment. */
  router.post('sandbox-api-enrol-json', '/api/v2.2/enrolments/submit-json/', async function enrolByJson(ctx) {
    if (!apiKeyAccepted(ctx, false)) return answer(ctx, 401, { detail: 'Invalid API key.' });
    const body = await readJson(ctx);
    if (body) enrolInDemoClass(ctx, body);
  });

  /** Program enrolment, as the institution External Gateway does it. */
  router.post('sandbox-api-enrol-program', '/api/v2.2/institutions/:institution/programs/:program/enrolments/', async function enrolInProgram(ctx) {
    if (!apiKeyAccepted(ctx, false)) return answer(ctx, 401, { detail: 'Invalid API key.' });
    const body = await readJson(ctx);
    if (!body) return;
    const demo = DEMO_PROGRAMS.find((p) => p.id === ctx.params.program);
    if (ctx.params.institution !== config.openlearning.audience || !demo || typeof body.user !== 'string' || body.user === '') {
      return answer(ctx, 404, { detail: `Program ${ctx.params.program} of institution ${ctx.params.institution}, or user ${String(body.user)}, not found.` });
    }
    enrolOnce(ctx, demo.id, body.user, 'program', { meta: { status: 201, error: null }, data: { program: demo.id, user: body.user } });
  });

  return router;
}
