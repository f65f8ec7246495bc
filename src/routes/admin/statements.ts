/**
 * The Statements page of the finance desk: upload a bank statement, review each credit beside the
 * invoice proposed for it, record the exact matches in one click, and settle the others one by one
 * (record as proposed, pick the invoice by hand, or "Not ours").
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { calendarDate } from '../../clock.js';
import { staffActor } from '../../commands/actors.js';
import { findInvoiceById } from '../../db/invoices.js';
import { listInvoices } from '../../db/invoice-list.js';
import { findStatement, findStatementLine, linesOfStatement, listStatements, paymentsOfLine, type StatementLineRow } from '../../db/statements.js';
import { balanceMinor, type Invoice } from '../../domain/invoice.js';
import type { Deps } from '../../deps.js';
import { AppError } from '../../errors.js';
import { render } from '../render.js';
import { staffText } from './staff-text.js';
import { field, idParam } from './forms.js';

/** The upload route: the only admin route that takes multipart bodies (see middleware/multipart.ts). */
export const STATEMENT_UPLOAD_PATH = '/admin/statements';
/** Statements of a few thousand lines are a few hundred kB; ten MB leaves room for a year of camt. */
export const STATEMENT_UPLOAD_LIMIT_BYTES = 10 * 1024 * 1024;

const FORMATS = [
  { value: 'auto', label: 'statements.format.auto' },
  { value: 'camt', label: 'statements.format.camt' },
  { value: 'mt940', label: 'statements.format.mt940' },
  { value: 'csv', label: 'statements.format.csv' },
] as const;
type FormatValue = (typeof FORMATS)[number]['value'];

// Importing and matching statements, and with them the bank-file parsers (fast-xml-parser, csv-parse,
// iconv-lite), are loaded by the first statements request, not by every start of the server.
let statementCommands: Promise<typeof import('../../commands/statements.js')> | undefined;
const commands = () => (statementCommands ??= import('../../commands/statements.js'));

/** The review page's sections, in order; title and hint are message keys. */
const GROUPS = [
  { key: 'exact', title: 'statement.group.exact', hint: 'statement.group.exact.hint' },
  { key: 'amount_differs', title: 'statement.group.amountDiffers', hint: 'statement.group.amountDiffers.hint' },
  { key: 'suggested', title: 'statement.group.suggested', hint: 'statement.group.suggested.hint' },
  { key: 'unmatched', title: 'statement.group.unmatched', hint: 'statement.group.unmatched.hint' },
  { key: 'recorded', title: 'statement.group.recorded', hint: 'statement.group.recorded.hint' },
  { key: 'not_ours', title: 'statement.group.notOurs', hint: 'statement.group.notOurs.hint' },
  { key: 'ignored', title: 'statement.group.ignored', hint: 'statement.group.ignored.hint' },
] as const;

function groupOf(line: StatementLineRow): (typeof GROUPS)[number]['key'] {
  if (line.state !== 'open') return line.state;
  return line.matchKind ?? 'unmatched';
}

export function registerStatementRoutes(router: Router, deps: Deps): void {
  const { db, config, clock } = deps;
  const today = () => calendarDate(clock.now(), config.timeZone);

  async function uploadPage(ctx: Context, extra: Record<string, unknown> = {}) {
    const { csvProfiles } = await commands();
    render(ctx, 'admin/statements.njk', {
      title: staffText('statements.title'),
      section: 'statements',
      formats: FORMATS.map((format) => ({ value: format.value, label: staffText(format.label) })),
      profiles: csvProfiles(deps),
      statements: listStatements(db),
      values: { format: 'auto', csvProfile: 'generic', profileJson: '' },
      ...extra,
    });
  }

  function loadStatement(ctx: Context) {
    const id = idParam(ctx.params.id);
    const statement = id === undefined ? undefined : findStatement(db, id);
    if (!statement) throw new AppError('admin.not_found', `statement ${ctx.params.id}`);
    return statement;
  }

  function loadLine(ctx: Context) {
    const statement = loadStatement(ctx);
    const lineId = idParam(ctx.params.lineId);
    const line = lineId === undefined ? undefined : findStatementLine(db, lineId);
    if (!line || line.statementId !== statement.id) throw new AppError('admin.not_found', `statement line ${ctx.params.lineId}`);
    return { statement, line };
  }

  router.get('statements', '/statements', async function showStatements(ctx) {
    await uploadPage(ctx);
  });

  router.post('statements-upload', '/statements', async function uploadStatement(ctx) {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const format = (FORMATS.some((f) => f.value === body.format) ? body.format : 'auto') as FormatValue;
    const csvProfile = field(body, 'csvProfile', 100) || 'generic';
    const values = { format, csvProfile, profileJson: '' };
    const file = ctx.state.files?.statement;
    if (!file || file.bytes.length === 0) {
      ctx.status = 422;
      return uploadPage(ctx, { values, errors: { statement: staffText('statements.error.noFile') } });
    }
    const { importStatement } = await commands();
    try {
      const outcome = importStatement(deps, staffActor(ctx.state.staff!), { bytes: file.bytes, fileName: file.fileName || 'statement', format, csvProfile });
      ctx.status = 303;
      ctx.redirect(`/admin/statements/${outcome.summary.statement}?imported=1`);
    } catch (error) {
      if (!(error instanceof AppError) || !error.id.startsWith('statement.')) throw error;
      // Shown beside the form, so the clerk can pick another format or profile and try again.
      ctx.status = error.status;
      await uploadPage(ctx, {
        values,
        errors: { statement: `${error.spec.title}. ${String(error.pageData.problem ?? error.spec.message)}` },
        related: error.pageData,
      });
    }
  });

  router.post('statements-profile', '/statements/profiles', async function saveCsvProfile(ctx) {
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const json = field(body, 'profileJson', 20_000);
    const { saveProfile } = await commands();
    try {
      const profile = saveProfile(deps, staffActor(ctx.state.staff!), json);
      ctx.status = 303;
      ctx.redirect(`/admin/statements?saved=${encodeURIComponent(profile.name)}`);
    } catch (error) {
      if (!(error instanceof AppError) || error.id !== 'statement.bad_csv_profile') throw error;
      ctx.status = error.status;
      await uploadPage(ctx, { values: { format: 'auto', csvProfile: 'generic', profileJson: json }, errors: { profileJson: String(error.pageData.problem) } });
    }
  });

  router.get('statement', '/statements/:id', function reviewStatement(ctx) {
    const statement = loadStatement(ctx);
    const lines = linesOfStatement(db, statement.id);
    const invoices = new Map<number, Invoice | undefined>();
    const invoice = (id: number) => {
      if (!invoices.has(id)) invoices.set(id, findInvoiceById(db, id));
      return invoices.get(id);
    };
    const groups = GROUPS.map((group) => ({
      key: group.key,
      title: staffText(group.title),
      hint: staffText(group.hint),
      lines: lines.filter((line) => groupOf(line) === group.key),
    }));
    const query = ctx.query as Record<string, string | undefined>;
    render(ctx, 'admin/statement.njk', {
      title: staffText('statement.pageTitle', { id: statement.id }),
      section: 'statements',
      statement,
      balanceProblems: statement.balanceProblems ? statement.balanceProblems.split('\n') : [],
      groups,
      invoice,
      invoiceNumbers: (ids: number[]) => ids.map((id) => invoice(id)?.number).join(' + '),
      balance: (inv: Invoice) => balanceMinor(inv),
      payments: (line: StatementLineRow) => (line.state === 'recorded' ? paymentsOfLine(db, line.id) : []),
      notice: {
        imported: query.imported === '1',
        recorded: query.recorded,
        skipped: query.skipped,
        line: query.line,
      },
    });
  });

  router.post('statement-record-exact', '/statements/:id/record-exact', async function recordExact(ctx) {
    const statement = loadStatement(ctx);
    const { recordAllExact } = await commands();
    const outcome = recordAllExact(deps, staffActor(ctx.state.staff!), statement.id);
    ctx.status = 303;
    ctx.redirect(`/admin/statements/${statement.id}?recorded=${outcome.recorded}&skipped=${outcome.problems.length}`);
  });

  router.post('statement-line-record', '/statements/:id/lines/:lineId/record', async function recordLine(ctx) {
    const { statement, line } = loadLine(ctx);
    const { recordStatementLine } = await commands();
    const outcome = recordStatementLine(deps, staffActor(ctx.state.staff!), line.id);
    ctx.status = 303;
    ctx.redirect(`/admin/statements/${statement.id}?line=${outcome.writeOffSkipped ? 'recorded-not-written-off' : 'recorded'}#line-${line.id}`);
  });

  router.post('statement-line-not-ours', '/statements/:id/lines/:lineId/not-ours', async function notOurs(ctx) {
    const { statement, line } = loadLine(ctx);
    const { markNotOurs } = await commands();
    markNotOurs(deps, staffActor(ctx.state.staff!), line.id);
    ctx.status = 303;
    ctx.redirect(`/admin/statements/${statement.id}?line=not-ours#line-${line.id}`);
  });

  // Picking the invoice by hand: the desk's own search (reference, number, name, email), every tab.
  router.get('statement-line', '/statements/:id/lines/:lineId', function pickInvoice(ctx) {
    const { statement, line } = loadLine(ctx);
    const q = typeof ctx.query.q === 'string' ? ctx.query.q.trim().slice(0, 200) : '';
    const suggestions = line.match?.kind === 'suggested' ? line.match.suggestions : [];
    const results = q ? listInvoices(db, { tab: 'all', q, sort: 'issued', dir: 'desc', limit: 20, today: today() }) : undefined;
    render(ctx, 'admin/statement-line.njk', {
      title: staffText('statementLine.pageTitle', { id: statement.id }),
      section: 'statements',
      statement,
      line,
      q,
      results: results?.rows ?? [],
      searched: q !== '',
      suggestions: suggestions.map((s) => ({ ...s, invoices: s.invoiceIds.map((id) => findInvoiceById(db, id)).filter(Boolean) })),
      balance: (inv: Invoice) => balanceMinor(inv),
    });
  });

  router.post('statement-line-assign', '/statements/:id/lines/:lineId/assign', async function assignLine(ctx) {
    const { statement, line } = loadLine(ctx);
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const ids = field(body, 'invoiceIds', 2000)
      .split(',')
      .map((part) => idParam(part.trim()))
      .filter((id): id is number => id !== undefined);
    if (ids.length === 0) throw new AppError('request.bad_form', 'assign without invoiceIds');
    const { assignLineToInvoices } = await commands();
    assignLineToInvoices(deps, staffActor(ctx.state.staff!), line.id, ids);
    ctx.status = 303;
    ctx.redirect(`/admin/statements/${statement.id}?line=recorded#line-${line.id}`);
  });
}
