/**
 * Learners in their own language: chosen from Accept-Language, switched on the page without losing
 * what was typed, remembered with the billing request, and used for the invoice page, every later
 * email and the PDF; INVOICE_LANGUAGES limits the choice and INVOICE_SECOND_LANGUAGE prints a
 * second language on the PDF. Real HTTP server, real SMTP server, real SQLite file, pdftotext.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { joinClass, learnerClaims } from '../helpers/factories.js';
import { pdfText } from '../helpers/pdf.js';
import { locationPath, pageText, startTestPortal, type TestPortal } from '../helpers/portal.js';
import { TestSmtpServer } from '../helpers/smtp.js';
import { ADMIN, signIn } from '../helpers/staff.js';

let smtp: TestSmtpServer;
let t: TestPortal;

beforeAll(async () => {
  smtp = await new TestSmtpServer().start();
  t = await startTestPortal({ env: { SMTP_URL: smtp.url, ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
});
afterAll(async () => {
  await t?.close();
  await smtp?.stop();
});

const acceptLanguage = (value: string) => ({ headers: { 'accept-language': value } });
const htmlLang = (html: string) => html.match(/<html lang="([^"]+)"/)?.[1];

/** Submits the billing form; the path of the new invoice's status page. */
async function issueInvoice(portal: TestPortal, billing: string, form: Record<string, string>): Promise<string> {
  return locationPath(await portal.post(billing, form)).replace(/\/confirmation$/, '');
}

describe('choosing the language', () => {
  test('the billing page follows Accept-Language, says which language it is in, and offers the others', async () => {
    const billing = await joinClass(t, learnerClaims({ title: 'Biologi Marin' }));
    const malay = await (await t.get(billing, acceptLanguage('ms-MY,ms;q=0.9,en;q=0.8'))).text();
    expect(htmlLang(malay)).toBe('ms');
    expect(pageText(malay)).toContain('Daftar dalam Biologi Marin');
    expect(pageText(malay)).toContain('Nama penuh (wajib)');
    // Country names in the reader's language, and money grouped the Malaysian way.
    expect(malay).toContain('>Jerman</option>');
    expect(pageText(malay)).toMatch(/Jumlah AUD\s1,100\.00/);
    expect(pageText(malay)).toMatch(/English.*Bahasa Indonesia.*简体中文/);

    const chinese = await (await t.get(billing, acceptLanguage('zh-TW,zh;q=0.9'))).text();
    expect(htmlLang(chinese)).toBe('zh-CN');
    expect(pageText(chinese)).toContain('报名：Biologi Marin');

    const indonesian = await (await t.get(billing, acceptLanguage('id'))).text();
    expect(htmlLang(indonesian)).toBe('id');
    // Indonesian groups thousands with points and writes decimals after a comma.
    expect(pageText(indonesian)).toMatch(/Total AUD\s1\.100,00/);

    const unknown = await (await t.get(billing, acceptLanguage('fr-FR,de;q=0.5'))).text();
    expect(htmlLang(unknown)).toBe('en');
    expect(pageText(unknown)).toContain('Enrol in Biologi Marin');
  });

  test('the switcher keeps what was typed, remembers the choice, and form errors come in that language', async () => {
    const billing = await joinClass(t, learnerClaims());
    const typed = { name: 'Siti Nurhaliza', email: 'siti@example.my', organisation: 'Syarikat Contoh Sdn Bhd', country: 'MY' };
    const switched = await t.post(billing, { ...typed, switchLanguage: 'ms' }, acceptLanguage('en'));
    expect(switched.status).toBe(200);
    const html = await switched.text();
    expect(htmlLang(html)).toBe('ms');
    expect(html).toContain('value="Siti Nurhaliza"');
    expect(html).toContain('value="siti@example.my"');
    expect(html).toContain('value="Syarikat Contoh Sdn Bhd"');
    expect(html).toMatch(/<option value="MY" selected>Malaysia<\/option>/);
    // No error shown for a switch, even though nothing was checked.
    expect(html).not.toContain('alert--error');

    // Reloading the page (an English browser) keeps Malay: the choice is stored with the request.
    const reloaded = await (await t.get(billing, acceptLanguage('en'))).text();
    expect(htmlLang(reloaded)).toBe('ms');

    const invalid = await t.post(billing, { name: '', email: 'siti', language: 'ms' }, acceptLanguage('en'));
    expect(invalid.status).toBe(422);
    const errors = await invalid.text();
    expect(pageText(errors)).toContain('Sila semak 2 ruangan ini');
    expect(pageText(errors)).toContain('Sila masukkan nama penuh anda.');
    expect(pageText(errors)).toContain('Sila masukkan alamat e-mel yang sah');
    // Focus goes to the error summary.
    expect(errors).toMatch(/<div class="alert alert--error" role="alert" tabindex="-1" autofocus/);
  });

  test('a learner who fills the form in Chinese gets the invoice page, the email and the PDF in Chinese', async () => {
    const billing = await joinClass(t, learnerClaims({ title: '海洋生物学入门' }));
    const issued = await t.post(billing, { name: '张伟', email: 'zhang.wei@example.cn', language: 'zh-CN' }, acceptLanguage('en'));
    expect(issued.status).toBe(303);
    const confirmation = await (await t.get(locationPath(issued), acceptLanguage('en'))).text();
    expect(htmlLang(confirmation)).toBe('zh-CN');
    expect(pageText(confirmation)).toMatch(/您的发票 INV-\d+ 已开具/);
    expect(pageText(confirmation)).toContain('付款方式');
    expect(pageText(confirmation)).toContain('状态： 待付款');

    const mail = await smtp.waitFor((m) => m.to !== undefined && JSON.stringify(m.to).includes('zhang.wei@example.cn'));
    expect(mail.subject).toMatch(/^发票 INV-\d+：海洋生物学入门$/);
    expect(mail.text).toContain('张伟，您好：');
    expect(mail.text).toContain('请使用此付款参考号：');
    expect(mail.html || '').toContain('<html lang="zh-CN">');

    const pdfLink = confirmation.match(/href="([^"]+\.pdf)"/)![1]!;
    const pdf = Buffer.from(await (await t.get(pdfLink)).arrayBuffer());
    const text = pdfText(pdf);
    expect(text).toContain('税务发票');
    expect(text).toContain('付款方式');
    expect(text).toContain('课程报名');
    expect(text).not.toContain('How to pay');
    // The raw class id is for staff: learners see what they bought.
    expect(text).not.toMatch(/class-\d+/);
    expect(text).toMatch(/2026年\d+月\d+日/);

    // Staff see which language the learner's emails and PDF are in; the finance desk stays English.
    const id = (t.portal.deps.db.prepare('SELECT id FROM invoices WHERE buyer_email = ?').get('zhang.wei@example.cn') as { id: number }).id;
    const staff = await signIn(t);
    const admin = await (await staff.get(`/admin/invoices/${id}`)).text();
    expect(htmlLang(admin)).toBe('en');
    expect(pageText(admin)).toContain('Language 简体中文');
  });

  test('pages switched by link keep their language, and error pages follow the browser', async () => {
    const billing = await joinClass(t, learnerClaims());
    const status = await issueInvoice(t, billing, { name: 'Budi Santoso', email: 'budi@example.id', language: 'id' });
    const page = await (await t.get(status)).text();
    expect(htmlLang(page)).toBe('id');
    expect(pageText(page)).toContain('Cara membayar');
    const english = await (await t.get(`${status}?lang=en`)).text();
    expect(htmlLang(english)).toBe('en');
    expect(english).toContain(`href="${status}?lang=id"`);

    const missing = await t.get('/billing/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', acceptLanguage('id-ID'));
    expect(missing.status).toBe(404);
    const missingHtml = await missing.text();
    expect(htmlLang(missingHtml)).toBe('id');
    expect(pageText(missingHtml)).toContain('Kami tidak dapat menemukan halaman ini');
    const refused = await t.post('/enrol', { jwt: 'not-a-token' }, acceptLanguage('zh-CN'));
    expect(pageText(await refused.text())).toContain('您的报名链接已损坏');
  });
});

describe('INVOICE_LANGUAGES and INVOICE_SECOND_LANGUAGE', () => {
  let limited: TestPortal;
  beforeAll(async () => {
    limited = await startTestPortal({ env: { INVOICE_LANGUAGES: 'ms,en', INVOICE_SECOND_LANGUAGE: 'en' } });
  });
  afterAll(async () => {
    await limited?.close();
  });

  test('only the listed languages are offered; the first is the default', async () => {
    const billing = await joinClass(limited, learnerClaims());
    const html = await (await limited.get(billing, acceptLanguage('zh-CN'))).text();
    expect(htmlLang(html)).toBe('ms');
    expect(html).not.toContain('简体中文');
    const asked = await (await limited.get(`${billing}?lang=zh-CN`, acceptLanguage('en'))).text();
    expect(htmlLang(asked)).toBe('en');
  });

  test('the PDF prints the learner’s language with the second language under it', async () => {
    const billing = await joinClass(limited, learnerClaims());
    const status = await issueInvoice(limited, billing, { name: 'Aminah Yusof', email: 'aminah@example.my', language: 'ms' });
    const page = await (await limited.get(status)).text();
    const pdf = Buffer.from(await (await limited.get(page.match(/href="([^"]+\.pdf)"/)![1]!)).arrayBuffer());
    const text = pdfText(pdf);
    for (const [malay, english] of <[string, string][]>[
      ['Invois Cukai', 'Tax Invoice'],
      ['Cara membayar', 'How to pay'],
      ['Amaun perlu dibayar', 'Amount due'],
      ['DIBILKAN KEPADA', 'BILL TO'],
    ]) {
      expect(text).toContain(malay);
      expect(text).toContain(english);
      expect(text.indexOf(malay)).toBeLessThan(text.indexOf(english));
    }
  });
});
