/**
 * A realistic invoice database of any size, fast: the real migrations on a fresh file, then one
 * transaction of multi-row inserts. By default the invoices' secondary indexes and insert triggers
 * are set aside during the load and rebuilt after it (the same indexes, FTS content, status counts
 * and known classes the triggers would have produced, checked at the end); mode 'triggers' goes
 * through the real triggers instead, as the portal writes.
 *
 * Deterministic: the same count gives the same data, so runs are comparable.
 */
import type { Statement } from 'better-sqlite3';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { openDatabase, type Db } from '../src/db/connection.js';
import { migrate, readMigrations } from '../src/db/migrate.js';
import { formatInvoiceNumber, type InvoiceStatus } from '../src/domain/invoice.js';
import { mod97CheckDigits } from '../src/domain/iban.js';

export interface SeedOptions {
  count: number;
  /** "Today" for the data: the newest invoice is issued the day before. YYYY-MM-DD. */
  today: string;
  /** Migrations directory (the real one). */
  migrationsDir: string;
  log?: (message: string) => void;
  /**
   * 'bulk' (default): drop the invoices' secondary indexes and the insert triggers, load, then
   * recreate the indexes and rebuild what the triggers keep (FTS, status counts, known classes).
   * 'triggers': insert through the real triggers and indexes, as the portal does (slower; the
   * correctness check's smaller database is seeded this way).
   */
  mode?: 'bulk' | 'triggers';
}

export interface SeedResult {
  file: string;
  /** Loading, index building and FTS rebuild, ms (not the migrations). */
  seedMs: number;
  migrateMs: number;
  mode: 'bulk' | 'triggers';
  invoices: number;
  payments: number;
  byStatus: Record<string, number>;
  bytes: number;
}

/** mulberry32: small, fast, good enough to spread test data. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rand = () => number;
const pick = <T>(rand: Rand, list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;

// ---- people ---------------------------------------------------------------------------------

export interface Person {
  name: string;
  handle: string;
}

const LATIN_FIRST = [
  'James',
  'Mary',
  'Olivia',
  'Noah',
  'Liam',
  'Emma',
  'Ava',
  'Sophia',
  'Lucas',
  'Mia',
  'Amelia',
  'Ethan',
  'Chloe',
  'Jack',
  'Grace',
  'Ahmad',
  'Nur',
  'Siti',
  'Muhammad',
  'Aisyah',
  'José',
  'María',
  'Zoë',
  'Søren',
  'François',
  'Björn',
  'Łukasz',
  'Ángel',
  'Chloé',
  'Priya',
  'Arjun',
  'Aarav',
  'Ananya',
  'Kwame',
  'Amara',
  'Oliver',
  'Isla',
  'William',
  'Charlotte',
  'Henry',
  'Ruby',
  'Thomas',
  'Lily',
  'Daniel',
  'Hannah',
  'Matteo',
  'Giulia',
  'Jan',
  'Anna',
  'Sven',
];
const LATIN_LAST = [
  'Smith',
  'Jones',
  'Williams',
  'Brown',
  'Wilson',
  'Taylor',
  'Nguyen',
  'Tan',
  'Lim',
  'Lee',
  'Wong',
  'Garcia',
  'Müller',
  'Schmidt',
  'Rossi',
  'Kowalski',
  "O'Brien",
  'Fernández',
  'Hernández',
  'Abdullah',
  'Ibrahim',
  'Rahman',
  'Ismail',
  'Patel',
  'Singh',
  'Kumar',
  'Mensah',
  'Okafor',
  'Martin',
  'Thompson',
  'White',
  'Harris',
  'Clark',
  'Lewis',
  'Walker',
  'Young',
  'King',
  'Wright',
  'Scott',
  'Green',
  'Baker',
  'Adams',
  'Nelson',
  'Hill',
  'Campbell',
  'Mitchell',
  'Roberts',
  'Carter',
  'Phillips',
  'Evans',
  'Turner',
  'Torres',
  'Parker',
  'Collins',
  'Edwards',
  'Stewart',
  'Flores',
  'Morris',
  'Murphy',
  'Cook',
  'Rogers',
  'Morgan',
  'Peterson',
  'Cooper',
  'Reed',
  'Bailey',
  'Bell',
  'Gomez',
  'Kelly',
  'Howard',
  'Ward',
  'Cox',
  'Diaz',
  'Richardson',
  'Wood',
  'Watson',
  'Brooks',
  'Bennett',
  'Gray',
  'James',
  'Reyes',
  'Cruz',
  'Hughes',
  'Price',
  'Myers',
  'Long',
  'Foster',
  'Sanders',
  'Ross',
  'Morales',
  'Powell',
  'Sullivan',
  'Russell',
  'Ortiz',
  'Jenkins',
  'Gutiérrez',
  'Perry',
  'Butler',
  'Barnes',
  'Fisher',
];
const VIET_LAST = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Vũ', 'Đặng', 'Bùi'];
const VIET_MIDDLE = ['Văn', 'Thị', 'Đức', 'Minh', 'Ngọc'];
const VIET_FIRST = ['An', 'Bình', 'Châu', 'Dũng', 'Hà', 'Hùng', 'Lan', 'Linh', 'Mai', 'Nam', 'Phương', 'Quân', 'Thảo', 'Trang', 'Tuấn'];
const CYR_FIRST = ['Иван', 'Ольга', 'Дмитрий', 'Анна', 'Сергей', 'Елена', 'Алексей', 'Мария', 'Наталья', 'Андрей'];
const CYR_LAST = ['Иванов', 'Петров', 'Смирнов', 'Кузнецов', 'Попов', 'Соколов', 'Лебедев', 'Козлов', 'Новиков', 'Морозов'];
const GREEK_FIRST = ['Γιώργος', 'Μαρία', 'Νίκος', 'Ελένη', 'Κώστας', 'Αικατερίνη', 'Δημήτρης', 'Σοφία'];
const GREEK_LAST = ['Παπαδόπουλος', 'Παπαδοπούλου', 'Οικονόμου', 'Γεωργίου', 'Νικολάου', 'Ιωάννου', 'Βασιλείου', 'Αθανασίου'];
const ZH_SURNAME = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '林', '罗', '高'];
const ZH_GIVEN = [
  '伟',
  '芳',
  '娜',
  '敏',
  '静',
  '丽',
  '强',
  '磊',
  '军',
  '洋',
  '勇',
  '艳',
  '杰',
  '娟',
  '涛',
  '明',
  '超',
  '秀英',
  '桂英',
  '建华',
  '志强',
  '子涵',
  '浩然',
  '欣怡',
  '梓萱',
];
const ZH_PINYIN: Record<string, string> = {
  王: 'wang',
  李: 'li',
  张: 'zhang',
  刘: 'liu',
  陈: 'chen',
  杨: 'yang',
  黄: 'huang',
  赵: 'zhao',
  吴: 'wu',
  周: 'zhou',
  徐: 'xu',
  孙: 'sun',
  马: 'ma',
  朱: 'zhu',
  胡: 'hu',
  郭: 'guo',
  何: 'he',
  林: 'lin',
  罗: 'luo',
  高: 'gao',
};
const JA_LAST = ['佐藤', '鈴木', '高橋', '田中', '渡辺', '伊藤', '山本', '中村', '小林', '山田'];
const JA_FIRST = ['太郎', '花子', '陽菜', '翔', '結衣', '蓮', 'さくら', 'ひなた', '大輝', '美咲'];
const KO_LAST = ['김', '이', '박', '최', '정', '강', '조', '윤'];
const KO_FIRST = ['민준', '서연', '지우', '하준', '서윤', '도윤', '지민', '수빈'];
const AR_FIRST = ['محمد', 'أحمد', 'فاطمة', 'علي', 'مريم', 'خالد', 'نور', 'يوسف'];
const AR_LAST = ['العلي', 'الحسن', 'الأحمد', 'المطيري', 'العتيبي', 'الشمري'];
const HE_FIRST = ['דוד', 'שרה', 'יוסף', 'רחל', 'משה', 'נועה'];
const HE_LAST = ['כהן', 'לוי', 'מזרחי', 'פרץ', 'ביטון'];
const TH_FIRST = ['สมชาย', 'สมศรี', 'สุดา', 'วิชัย', 'นภา', 'ประเสริฐ'];
const TH_LAST = ['ใจดี', 'รักไทย', 'ศรีสุข', 'บุญมา', 'แสงทอง'];

function ascii(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ł/g, 'l')
    .replace(/ø/g, 'o')
    .replace(/đ/gi, 'd')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();
}

export function person(rand: Rand): Person {
  const r = rand();
  if (r < 0.5) {
    const first = pick(rand, LATIN_FIRST);
    const last = pick(rand, LATIN_LAST);
    return { name: `${first} ${last}`, handle: `${ascii(first)}.${ascii(last)}` };
  }
  if (r < 0.58) {
    const last = pick(rand, VIET_LAST);
    const first = pick(rand, VIET_FIRST);
    return { name: `${last} ${pick(rand, VIET_MIDDLE)} ${first}`, handle: `${ascii(first)}${ascii(last)}` };
  }
  if (r < 0.72) {
    const surname = pick(rand, ZH_SURNAME);
    // Two-character names (张伟) are common: they are the reason short searches exist.
    const given =
      rand() < 0.4
        ? pick(
            rand,
            ZH_GIVEN.filter((g) => g.length === 1),
          )
        : pick(rand, ZH_GIVEN);
    return { name: `${surname}${given}`, handle: `${ZH_PINYIN[surname] ?? 'zh'}${Math.floor(rand() * 10000)}` };
  }
  if (r < 0.77) return { name: `${pick(rand, JA_LAST)} ${pick(rand, JA_FIRST)}`, handle: `jp${Math.floor(rand() * 100000)}` };
  if (r < 0.81) return { name: `${pick(rand, KO_LAST)}${pick(rand, KO_FIRST)}`, handle: `kr${Math.floor(rand() * 100000)}` };
  if (r < 0.86) return { name: `${pick(rand, CYR_FIRST)} ${pick(rand, CYR_LAST)}`, handle: `ru${Math.floor(rand() * 100000)}` };
  if (r < 0.89) return { name: `${pick(rand, GREEK_FIRST)} ${pick(rand, GREEK_LAST)}`, handle: `gr${Math.floor(rand() * 100000)}` };
  if (r < 0.94) return { name: `${pick(rand, AR_FIRST)} ${pick(rand, AR_LAST)}`, handle: `ar${Math.floor(rand() * 100000)}` };
  if (r < 0.97) return { name: `${pick(rand, HE_FIRST)} ${pick(rand, HE_LAST)}`, handle: `il${Math.floor(rand() * 100000)}` };
  return { name: `${pick(rand, TH_FIRST)} ${pick(rand, TH_LAST)}`, handle: `th${Math.floor(rand() * 100000)}` };
}

const FREE_MAIL: [string, number][] = [
  ['gmail.com', 0.35],
  ['outlook.com', 0.08],
  ['yahoo.com', 0.06],
  ['hotmail.com', 0.05],
  ['qq.com', 0.04],
  ['163.com', 0.02],
  ['icloud.com', 0.04],
];
const UNIVERSITIES = [
  'unsw.edu.au',
  'sydney.edu.au',
  'um.edu.my',
  'nus.edu.sg',
  'ox.ac.uk',
  'tu-berlin.de',
  'uoa.gr',
  'msu.ru',
  'tsinghua.edu.cn',
  'u-tokyo.ac.jp',
  'kaist.ac.kr',
  'ku.edu.kw',
  'huji.ac.il',
  'chula.ac.th',
];

const ORG_WORDS = [
  'Acme',
  'Blue Harbour',
  'Southern Cross',
  'Pacific',
  'Northwind',
  'Evergreen',
  'Summit',
  'Coral',
  'Redgum',
  'Kookaburra',
  'Meridian',
  'Harbourside',
  'Banksia',
  'Orion',
  'Atlas',
];
const ORG_KINDS = ['Pty Ltd', 'Sdn Bhd', 'GmbH', 'Ltd', 'Inc.', 'Consulting', 'Health', 'Foundation', 'Council', 'Academy'];
const ORG_NATIVE = [
  '山田商事株式会社',
  '东方科技有限公司',
  '삼성전자',
  'ООО «Ромашка»',
  'Υπουργείο Παιδείας',
  'شركة الخليج',
  'מכון ויצמן',
  'บริษัท ไทยรุ่งเรือง จำกัด',
  'Universiti Malaya',
  'Ministry of Health',
];

export function organisations(rand: Rand): string[] {
  const out = [...ORG_NATIVE];
  for (let i = 0; i < 490; i++) out.push(`${pick(rand, ORG_WORDS)} ${pick(rand, ORG_WORDS)} ${pick(rand, ORG_KINDS)}`);
  return out;
}

// ---- courses --------------------------------------------------------------------------------

export interface SeedClass {
  courseId: string;
  classId: string;
  title: string;
  currency: string;
  priceMinor: number;
  weight: number;
}

const COURSE_TITLES = [
  'Marine Biology',
  'Deep Sea Ecology',
  'Introduction to Data Science',
  'Project Management Essentials',
  'Ωκεανογραφία',
  'Bahasa Melayu untuk Pemula',
  '数据科学导论',
  'Основы программирования',
  'Digital Marketing',
  'Financial Accounting',
  'Public Health Foundations',
  'Creative Writing',
  'Machine Learning in Practice',
  'العربية للمبتدئين',
  '日本語入門',
  '한국어 기초',
  'Climate Policy',
  'Supply Chain Analytics',
  'Nursing Leadership',
  'Early Childhood Education',
  'Cyber Security Basics',
  'Quantum Computing Primer',
  'Renewable Energy Systems',
  'Islamic Finance',
  'Teaching Online',
  'Statistics for Everyone',
  'UX Research',
  'Agile Coaching',
  'Mandarin for Business',
  'Aboriginal Cultural Awareness',
];
export const CURRENCIES = ['AUD', 'USD', 'EUR', 'MYR', 'KWD'] as const;
const PRICE_BY_CURRENCY: Record<string, number[]> = {
  AUD: [49500, 110000, 189000],
  USD: [29900, 79900, 149900],
  EUR: [19900, 59900, 99000],
  MYR: [45000, 120000, 250000],
  KWD: [12500, 45000, 90000],
};

function courseClasses(rand: Rand): SeedClass[] {
  const classes: SeedClass[] = [];
  for (let c = 0; c < 60; c++) {
    const base = COURSE_TITLES[c % COURSE_TITLES.length]!;
    const title = c < COURSE_TITLES.length ? base : `${base} (Advanced)`;
    const courseId = `${ascii(base) || 'course'}-${c}`;
    const currency = CURRENCIES[c % CURRENCIES.length]!;
    for (let k = 0; k < 5; k++) {
      classes.push({
        courseId,
        classId: `class-${2024 + Math.floor(k / 2)}-s${(k % 2) + 1}-${c}`,
        title,
        currency,
        priceMinor: pick(rand, PRICE_BY_CURRENCY[currency]!),
        // Zipf-like popularity: a few courses sell most seats.
        weight: 1 / (c + 1) ** 0.8,
      });
    }
  }
  return classes;
}

function cumulative(weights: number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => (out[i] = sum += w));
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

function pickWeighted(cdf: Float64Array, r: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid]! < r) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ---- invoices -------------------------------------------------------------------------------

const DAY = 86_400_000;
const ISSUER_JSON = JSON.stringify({
  sandbox: false,
  seller: {
    name: 'Example Institute of Learning Pty Ltd',
    address: 'Level 5, 1 Example Street\nSydney NSW 2000\nAustralia',
    taxId: '12 345 678 901',
    taxIdLabel: 'ABN',
  },
  bank: { accountName: 'Example Institute of Learning', iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', details: 'BSB 062-000, account 1234 5678' },
});

/** A valid payment reference per invoice, unique and scattered (a bijection of the id). */
export function seedReference(id: number): string {
  const body = String(100_000_000 + ((id * 7919) % 900_000_000));
  return body + mod97CheckDigits(`${body}00`);
}

export const RARE_SURNAME = 'Quaresma';

/** Status for an invoice of this age: recent ones are still open, old ones enrolled or expired. */
function statusFor(rand: Rand, ageDays: number): InvoiceStatus {
  const r = rand();
  if (ageDays < 30) {
    if (r < 0.45) return 'awaiting_payment';
    if (r < 0.5) return 'partially_paid';
    if (r < 0.53) return 'paid';
    if (r < 0.535) return 'enrolment_failed';
    if (r < 0.56) return 'cancelled';
    return 'enrolled';
  }
  if (r < 0.72) return 'enrolled';
  if (r < 0.96) return 'expired';
  if (r < 0.98) return 'cancelled';
  if (r < 0.983) return 'partially_paid';
  if (r < 0.9835) return 'enrolment_failed';
  return 'enrolled';
}

export function seedDatabase(file: string, options: SeedOptions): SeedResult {
  const log = options.log ?? (() => {});
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  let db: Db = openDatabase(file);
  const migrateStarted = performance.now();
  migrate(db, readMigrations(options.migrationsDir));
  const migrateMs = performance.now() - migrateStarted;

  // A scratch file: no journal and a big cache while loading, the portal's own settings afterwards.
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1000000');
  db.pragma('temp_store = MEMORY');
  // Foreign keys are right by construction here (every payment is written after its invoice), and
  // checking each one costs a lookup per payment.
  db.pragma('foreign_keys = OFF');

  const bulk = options.mode !== 'triggers' ? suspendForBulkLoad(db, log) : undefined;
  const rand = random(20261126);
  const classes = courseClasses(rand);
  const classCdf = cumulative(classes.map((c) => c.weight));
  const orgs = organisations(rand);
  const todayMs = Date.parse(`${options.today}T00:00:00Z`);
  const startMs = todayMs - 3 * 365 * DAY;
  const count = options.count;
  // Learners: about 0.6 per invoice, some buying several courses.
  const learners = Math.max(1, Math.floor(count * 0.6));

  const staffId = Number(
    db
      .prepare(
        `INSERT INTO staff (email, name, role, password_hash, created_at, password_changed_at) VALUES ('bench@example.edu', 'Bench', 'finance', 'x', ?, ?)`,
      )
      .run(new Date(startMs).toISOString(), new Date(startMs).toISOString()).lastInsertRowid,
  );
  // Multi-row INSERTs: the triggers still run for every row, but the statement-level savepoint
  // (which makes FTS5 flush its pending terms to a new segment) happens once per batch instead
  // of once per row. Row by row, seeding takes ~6x longer.
  const invoiceColumns = `id, seq, number, access_token, payment_reference, status, ol_user_id, audience, course_id, class_id,
      course_title, redirect_url, buyer_name, buyer_email, buyer_organisation, buyer_address, buyer_country, buyer_tax_id, buyer_po_number,
      currency, net_minor, tax_minor, total_minor, paid_minor, tax_rate, tax_label, tax_inclusive, issue_date, due_date, issued_at, expires_at,
      paid_at, enrolled_at, expired_at, cancelled_at, cancel_reason, issuer_json, pdf_sha256, updated_at`;
  const invoices = batchInserter(db, `INSERT INTO invoices (${invoiceColumns}) VALUES`, 39);
  const paymentRows = batchInserter(
    db,
    `INSERT INTO ledger_entries (invoice_id, kind, amount_minor, currency, effective_on, bank_reference, note, idempotency_key, actor, actor_label, staff_id, recorded_at) VALUES`,
    12,
  );

  const started = performance.now();
  let payments = 0;
  const tokens = crypto.randomBytes(32 * 4096);
  db.transaction(() => {
    for (let id = 1; id <= count; id++) {
      const issuedMs = startMs + Math.floor(((id - 0.5) / count) * (todayMs - startMs - DAY)) + Math.floor(rand() * 60_000);
      const issued = new Date(issuedMs);
      const issuedAt = issued.toISOString();
      const issueDate = issuedAt.slice(0, 10);
      const dueDate = new Date(Date.parse(`${issueDate}T00:00:00Z`) + 14 * DAY).toISOString().slice(0, 10);
      const expiresAt = new Date(issuedMs + 30 * DAY).toISOString();
      const ageDays = (todayMs - issuedMs) / DAY;
      const status = statusFor(rand, ageDays);
      const cls = classes[pickWeighted(classCdf, rand())]!;
      const learner = 1 + Math.floor(rand() * learners);
      // Who the learner is (name, email, organisation) depends on the learner only, so a learner
      // with several invoices has the same details on each.
      const lr = random(Math.imul(learner, 2654435761));
      const p = person(lr);
      let name = p.name;
      let handle = p.handle;
      if (id % 50_000 === 7) {
        name = `Ottoline ${RARE_SURNAME}`;
        handle = `ottoline.${RARE_SURNAME.toLowerCase()}`;
      }
      const mailRoll = lr();
      let domain: string | undefined;
      let acc = 0;
      for (const [d, share] of FREE_MAIL) {
        acc += share;
        if (mailRoll < acc) {
          domain = d;
          break;
        }
      }
      const hasOrg = lr() < 0.35;
      const organisation = hasOrg ? pick(lr, orgs) : null;
      domain ??= hasOrg && organisation ? `${ascii(organisation).slice(0, 12) || 'corp'}.com` : pick(lr, UNIVERSITIES);
      const email = `${handle}${learner % 1000}@${domain}`;
      const net = cls.priceMinor;
      const tax = cls.currency === 'AUD' ? Math.round(net / 10) : 0;
      const total = net + tax;
      const paidish = status === 'enrolled' || status === 'paid' || status === 'enrolment_failed';
      const paidMinor = paidish ? total : status === 'partially_paid' ? Math.floor(total / 2) : 0;
      const paidAtMs = issuedMs + Math.floor(rand() * 12 * DAY);
      const paidAt = paidMinor > 0 ? new Date(Math.min(paidAtMs, todayMs - 1)).toISOString() : null;
      const enrolledAt = status === 'enrolled' && paidAt ? paidAt : null;
      const expiredAt = status === 'expired' ? expiresAt : null;
      const cancelledAt = status === 'cancelled' ? new Date(issuedMs + 2 * DAY).toISOString() : null;
      const slot = id % 4096;
      if (slot === 0) tokens.set(crypto.randomBytes(32 * 4096));
      const written = invoices.add(
        id,
        id,
        formatInvoiceNumber('INV-', id),
        tokens.subarray(slot * 32, slot * 32 + 32).toString('base64url'),
        seedReference(id),
        status,
        `ol-${learner}`,
        'openlearning.com',
        cls.courseId,
        cls.classId,
        cls.title,
        `https://www.openlearning.com/${cls.courseId}/?cl=${cls.classId}`,
        name,
        email,
        organisation,
        rand() < 0.5 ? `${1 + Math.floor(rand() * 200)} Example Road\nSuburb ${learner % 97}` : null,
        pick(rand, ['AU', 'MY', 'SG', 'GB', 'DE', 'GR', 'CN', 'JP', 'KR', 'KW', 'IL', 'TH', 'US', null]),
        hasOrg && rand() < 0.5 ? `TAX-${learner}` : null,
        hasOrg && rand() < 0.2 ? `PO-${id}` : null,
        cls.currency,
        net,
        tax,
        total,
        paidMinor,
        cls.currency === 'AUD' ? '10' : '0',
        'GST',
        0,
        issueDate,
        dueDate,
        issuedAt,
        expiresAt,
        paidAt,
        enrolledAt,
        expiredAt,
        cancelledAt,
        cancelledAt ? 'Duplicate enrolment' : null,
        ISSUER_JSON,
        null,
        cancelledAt ?? expiredAt ?? enrolledAt ?? paidAt ?? issuedAt,
      );
      if (paidAt) {
        payments++;
        paymentRows.add(
          id,
          'payment',
          paidMinor,
          cls.currency,
          paidAt.slice(0, 10),
          `BANK-${id}`,
          null,
          `seed-${id}`,
          `staff:${staffId}`,
          'seed',
          staffId,
          paidAt,
        );
      }
      // Payments refer to invoices: written after the invoices they belong to.
      if (written) paymentRows.flush();
      if (id % 100_000 === 0) log(`seeded ${id.toLocaleString('en')} invoices (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
    invoices.flush();
    paymentRows.flush();
    log(
      `inserted ${count.toLocaleString('en')} invoices and ${payments.toLocaleString('en')} payments in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    if (bulk) {
      const t = performance.now();
      bulk.restore();
      log(`indexes, FTS and trigger-kept tables rebuilt in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
  })();
  checkDerivedTables(db);
  const seedMs = performance.now() - started;
  db.close();

  // Back to the portal's settings (WAL, default cache) for measuring.
  db = openDatabase(file);
  const byStatus = Object.fromEntries(
    (db.prepare('SELECT status, n FROM invoice_status_counts').all() as { status: string; n: number }[]).map((r) => [r.status, r.n]),
  );
  db.close();
  return { file, seedMs, migrateMs, mode: options.mode ?? 'bulk', invoices: count, payments, byStatus, bytes: fs.statSync(file).size };
}

/**
 * What the invoice insert triggers maintain, rebuilt in bulk. A trigger not listed here stays in
 * place during the load (slower, never wrong); a listed one that a later migration renamed or
 * dropped is simply not there to suspend.
 */
const BULK_EQUIVALENTS: Record<string, string> = {
  invoices_fts_insert: `INSERT INTO invoices_fts (invoices_fts) VALUES ('rebuild')`,
  invoices_count_insert: `UPDATE invoice_status_counts SET n = (SELECT COUNT(*) FROM invoices WHERE invoices.status = invoice_status_counts.status)`,
  // The newest invoice of each class wins, as with the trigger (inserts in id order).
  invoices_known_class: `INSERT INTO known_classes (course_id, class_id, title, currency)
    SELECT course_id, class_id, course_title, currency FROM invoices WHERE id IN (SELECT MAX(id) FROM invoices GROUP BY course_id, class_id) ORDER BY id
    ON CONFLICT (course_id, class_id) DO UPDATE SET title = excluded.title, currency = excluded.currency`,
};

/** Drops the secondary indexes of invoices and ledger entries and the insert triggers that have a bulk equivalent. */
function suspendForBulkLoad(db: Db, log: (message: string) => void): { restore(): void } {
  const indexes = db
    .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('invoices', 'ledger_entries') AND sql IS NOT NULL`)
    .all() as {
    name: string;
    sql: string;
  }[];
  const triggers = (
    db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'invoices'`).all() as { name: string; sql: string }[]
  ).filter((t) => BULK_EQUIVALENTS[t.name] !== undefined);
  for (const i of indexes) db.exec(`DROP INDEX "${i.name}"`);
  for (const t of triggers) db.exec(`DROP TRIGGER "${t.name}"`);
  return {
    restore() {
      let started = performance.now();
      for (const i of indexes) db.exec(i.sql);
      log(`${indexes.length} indexes built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      for (const t of triggers) {
        started = performance.now();
        db.exec(BULK_EQUIVALENTS[t.name]!);
        db.exec(t.sql);
        log(`${t.name} done in bulk in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      }
    },
  };
}

/** The trigger-kept tables agree with the invoices (cheap checks; they catch a wrong bulk equivalent). */
function checkDerivedTables(db: Db): void {
  const counts = db
    .prepare(`SELECT c.status, c.n, (SELECT COUNT(*) FROM invoices i WHERE i.status = c.status) AS actual FROM invoice_status_counts c`)
    .all() as { status: string; n: number; actual: number }[];
  for (const c of counts) if (c.n !== c.actual) throw new Error(`seed: invoice_status_counts.${c.status} is ${c.n}, invoices say ${c.actual}`);
  const classes = db
    .prepare(`SELECT (SELECT COUNT(*) FROM known_classes) AS known, (SELECT COUNT(*) FROM (SELECT DISTINCT course_id, class_id FROM invoices)) AS actual`)
    .get() as {
    known: number;
    actual: number;
  };
  if (classes.known !== classes.actual) throw new Error(`seed: known_classes has ${classes.known} classes, invoices ${classes.actual}`);
  const fts = db.prepare(`SELECT COUNT(*) AS n FROM invoices_fts WHERE invoices_fts MATCH '"${RARE_SURNAME}"'`).get() as { n: number };
  const actual = db.prepare(`SELECT COUNT(*) AS n FROM invoices WHERE buyer_name LIKE ?`).get(`%${RARE_SURNAME}%`) as { n: number };
  if (fts.n !== actual.n) throw new Error(`seed: the FTS index finds ${fts.n} invoices for ${RARE_SURNAME}, the table has ${actual.n}`);
}

/** Collects rows and inserts them `rowsPerStatement` at a time with one multi-row INSERT. */
function batchInserter(db: Db, insertInto: string, columns: number, rowsPerStatement = 500) {
  const placeholders = (rows: number) => Array.from({ length: rows }, () => `(${Array.from({ length: columns }, () => '?').join(', ')})`).join(',\n');
  const full = db.prepare(`${insertInto} ${placeholders(rowsPerStatement)}`);
  const partial = new Map<number, Statement>();
  let pending: unknown[] = [];
  return {
    /** Returns true when the batch was written. */
    add(...values: unknown[]): boolean {
      if (values.length !== columns) throw new Error(`expected ${columns} values, got ${values.length}`);
      for (const v of values) pending.push(v);
      if (pending.length < columns * rowsPerStatement) return false;
      full.run(pending);
      pending = [];
      return true;
    },
    flush(): void {
      if (pending.length === 0) return;
      const rows = pending.length / columns;
      let stmt = partial.get(rows);
      if (!stmt) partial.set(rows, (stmt = db.prepare(`${insertInto} ${placeholders(rows)}`)));
      stmt.run(pending);
      pending = [];
    },
  };
}

export function benchDatabaseFile(dir: string, count: number): string {
  return path.join(dir, `invoices-${count}.db`);
}
