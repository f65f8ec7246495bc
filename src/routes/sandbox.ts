/**
 * The sandbox's stand-in for OpenLearning: a demo course page whose "Join now" buttons post a
 * freshly signed token to /enrol exactly as OpenLearning does, the enrolment API the portal calls
 * after payment, and the course page that shows who got enrolled. Mounted only in sandbox mode:
 * with a real key configured, every /sandbox URL is a 404.
 */
import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import { SignJWT } from 'jose';
import { toDbTime } from '../clock.js';
import { recordSandboxEnrolment, sandboxEnrolments } from '../db/sandbox.js';
import { parseDecimalAmount, formatMoney } from '../domain/money.js';
import { computeTax, formatTaxRate } from '../domain/tax.js';
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { DEMO_CLASSES, DEMO_COURSE, DEMO_LEARNERS } from '../sandbox/demo-course.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import { render } from './render.js';

const TOKEN_MINUTES = 15;

export function sandboxRoutes(deps: Deps, sandbox: Sandbox): Router {
  const router = new Router({ prefix: '/sandbox' });
  const { config, db, clock } = deps;

  function enrolmentsByClass(): Map<string, { userId: string; enrolledAt: string }[]> {
    const rows = sandboxEnrolments(db);
    const byClass = new Map<string, { userId: string; enrolledAt: string }[]>();
    for (const row of rows) byClass.set(row.classId, [...(byClass.get(row.classId) ?? []), row]);
    return byClass;
  }

  router.get('sandbox', '/', async function showDemoCourse(ctx) {
    const typed = typeof ctx.query.learner === 'string' ? ctx.query.learner.trim().slice(0, 100) : '';
    const learner = /^[\w.@-]{1,100}$/.test(typed) ? typed : DEMO_LEARNERS[0]!.id;
    const now = clock.now();
    const iat = Math.floor(now.getTime() / 1000);
    const enrolled = enrolmentsByClass();
    const classes = await Promise.all(
      DEMO_CLASSES.map(async (demo) => {
        // Signed when the page is shown, like OpenLearning's course page: valid for 15 minutes.
        const jwt = await new SignJWT({
          sub: learner,
          title: DEMO_COURSE.title,
          course: DEMO_COURSE.id,
          class: demo.id,
          currency: demo.currency,
          price: demo.price,
          redirect_url: `${config.publicUrl}/sandbox/course/${demo.id}`,
        })
          .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
          .setJti(randomUUID())
          .setAudience(config.openlearning.audience)
          .setIssuedAt(iat)
          .setExpirationTime(iat + TOKEN_MINUTES * 60)
          .sign(sandbox.privateKey);
        const minor = (parseDecimalAmount(demo.price, demo.currency) as { minor: number }).minor;
        const tax = computeTax(minor, config.tax.rate, config.tax.inclusive);
        return {
          ...demo,
          jwt,
          total: formatMoney(tax.totalMinor, demo.currency),
          enrolled: enrolled.get(demo.id) ?? [],
          learnerEnrolled: (enrolled.get(demo.id) ?? []).some((e) => e.userId === learner),
        };
      }),
    );
    render(ctx, 'sandbox/course.njk', {
      title: `${DEMO_COURSE.title} (sandbox)`,
      course: DEMO_COURSE,
      classes,
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
      course: DEMO_COURSE,
      demo,
      enrolled: enrolmentsByClass().get(demo.id) ?? [],
    });
  });

  /** The enrolment API, answering the portal's calls as OpenLearning's POST /enrolments/ does. */
  router.post('sandbox-api-enrol', '/api/v2.2/enrolments/', function enrolInDemoClass(ctx) {
    ctx.type = 'application/json';
    if (ctx.query.api_key !== config.openlearning.apiKey) {
      ctx.status = 401;
      ctx.body = { detail: 'Invalid API key.' };
      return;
    }
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const demo = DEMO_CLASSES.find((c) => c.id === body.class);
    if (!demo || typeof body.user !== 'string' || body.user === '') {
      ctx.status = 404;
      ctx.body = { detail: `Class ${String(body.class)} or user ${String(body.user)} not found.` };
      return;
    }
    if (demo.refusesEnrolment) {
      ctx.status = 400;
      ctx.body = { detail: 'Sandbox: this class refuses every enrolment, to show what staff see when OpenLearning says no.' };
      return;
    }
    recordSandboxEnrolment(db, demo.id, body.user, toDbTime(clock.now()));
    ctx.status = 201;
    ctx.body = { class: demo.id, user: body.user, status: 'enrolled' };
  });

  return router;
}
