/**
 * Tax registration numbers (VAT ids, ABN, GST, SST, TIN) as a buyer types them on the billing form
 * or a seller puts them in SELLER_TAX_ID: recognised, checked and put in one canonical form.
 *
 * Which country a number belongs to:
 *   - A number that carries its country (an EU VAT id with its prefix such as FR or EL, a UK VAT
 *     number with GB, a Northern Ireland one with XI) belongs to that country, whatever country the
 *     billing form says. The VAT id is the evidence the tax rules rely on (Article 18 of Council
 *     Implementing Regulation (EU) 282/2011: a supplier may treat a customer as a taxable person in
 *     the member state that issued the VAT id it was given), so the reverse charge follows the id's
 *     own country, not the address: a French company with a billing address in Germany and a French
 *     VAT id is a French VAT registration.
 *   - A number that does not (an ABN, an NZ GST number, a Malaysian SST number or TIN, an EU VAT id
 *     typed without its prefix) is read as a number of the country given with it.
 *   - Anything else is kept as free text: it is printed as typed and never triggers the reverse
 *     charge. A number that has the shape of its country's id but fails the check is an error with a
 *     message saying what is wrong, because a mistyped VAT id silently turning into free text would
 *     cost the buyer the reverse charge without telling them.
 *
 * Checks come from `stdnum` (a TypeScript port of python-stdnum) for EU VAT ids (all 27 member
 * states), UK VAT, the Australian ABN, the NZ IRD/GST number and the German Steuernummer. Malaysia
 * is not covered by it (only the NRIC), so its rules are kept here as data, with their sources.
 */
import { createRequire } from 'node:module';
import type { Validator } from 'stdnum';

export type TaxIdScheme = 'eu_vat' | 'xi_vat' | 'gb_vat' | 'au_abn' | 'nz_gst' | 'my_sst' | 'my_tin' | 'de_stnr' | 'free_text';

export type TaxIdResult =
  | {
      ok: true;
      scheme: TaxIdScheme;
      /** ISO 3166-1 alpha-2 country of the registration (GR for an EL VAT id, GB for XI); null for free text without a country. */
      country: string | null;
      /** Canonical compact form: EU VAT ids with their 2-letter prefix ('FR40303265045', 'EL094259216'). */
      normalized: string;
      /** How to print it ('51 824 753 556', 'W10-1808-31000002'); free text is printed as typed. */
      display: string;
      /** Name of the number to print before it: 'VAT', 'ABN', 'GST', 'SST', 'TIN', 'Steuernummer', 'Tax ID'. */
      label: string;
    }
  | { ok: false; message: string };

const require = createRequire(import.meta.url);

/**
 * One of stdnum's validators, loaded with its country's module when first used: stdnum's index
 * loads the rules of about a hundred countries (a fifth of a second, on every start of the portal),
 * and a portal meets a handful. The validators are named here once; a missing one means the
 * library changed under us (tests use every one).
 */
function pick(country: string, name: string): Validator {
  let loaded: Validator | undefined;
  const load = (): Validator => {
    if (!loaded) {
      const validators = require(`stdnum/lib/cjs/${country.toLowerCase()}/index.js`) as Record<string, Validator | undefined>;
      const validator = validators[name];
      if (!validator) throw new Error(`stdnum has no ${country}.${name} validator`);
      loaded = validator;
    }
    return loaded;
  };
  return {
    get name() {
      return load().name;
    },
    get localName() {
      return load().localName;
    },
    get abbreviation() {
      return load().abbreviation;
    },
    compact: (value) => load().compact(value),
    format: (value) => load().format(value),
    validate: (value) => load().validate(value),
  };
}

interface VatCountry {
  /** ISO 3166-1 code of the member state (the VAT prefix differs only for Greece, EL). */
  country: string;
  /** 'A German VAT number' (with its article, so messages read well in English). */
  noun: string;
  /** What follows the prefix, for the message when the shape is wrong. */
  format: string;
  validator: Validator;
}

/**
 * VAT prefixes of the 27 EU member states, and the shape of the number after the prefix.
 * Source of the shapes: European Commission, VIES (VAT Information Exchange System), "VAT number
 * format" in the VIES FAQ (Taxation and Customs Union). Check digits are verified by stdnum.
 */
export const EU_VAT_COUNTRIES: ReadonlyMap<string, VatCountry> = new Map([
  ['AT', { country: 'AT', noun: 'An Austrian VAT number', format: 'U and 8 digits after AT', validator: pick('AT', 'uid') }],
  ['BE', { country: 'BE', noun: 'A Belgian VAT number', format: '10 digits after BE, starting with 0 or 1', validator: pick('BE', 'vat') }],
  ['BG', { country: 'BG', noun: 'A Bulgarian VAT number', format: '9 or 10 digits after BG', validator: pick('BG', 'vat') }],
  ['CY', { country: 'CY', noun: 'A Cypriot VAT number', format: '8 digits and a letter after CY', validator: pick('CY', 'vat') }],
  ['CZ', { country: 'CZ', noun: 'A Czech VAT number', format: '8, 9 or 10 digits after CZ', validator: pick('CZ', 'dic') }],
  ['DE', { country: 'DE', noun: 'A German VAT number', format: '9 digits after DE', validator: pick('DE', 'vat') }],
  ['DK', { country: 'DK', noun: 'A Danish VAT number', format: '8 digits after DK', validator: pick('DK', 'cvr') }],
  ['EE', { country: 'EE', noun: 'An Estonian VAT number', format: '9 digits after EE', validator: pick('EE', 'kmkr') }],
  ['EL', { country: 'GR', noun: 'A Greek VAT number', format: '9 digits after EL', validator: pick('GR', 'vat') }],
  [
    'ES',
    {
      country: 'ES',
      noun: 'A Spanish VAT number',
      format: '9 characters after ES: a letter or digit, 7 digits, a letter or digit',
      validator: pick('ES', 'nif'),
    },
  ],
  ['FI', { country: 'FI', noun: 'A Finnish VAT number', format: '8 digits after FI', validator: pick('FI', 'alv') }],
  [
    'FR',
    { country: 'FR', noun: 'A French VAT number', format: '11 characters after FR: a 2-character key and the 9-digit SIREN', validator: pick('FR', 'tva') },
  ],
  ['HR', { country: 'HR', noun: 'A Croatian VAT number', format: '11 digits after HR', validator: pick('HR', 'oib') }],
  ['HU', { country: 'HU', noun: 'A Hungarian VAT number', format: '8 digits after HU', validator: pick('HU', 'anum') }],
  ['IE', { country: 'IE', noun: 'An Irish VAT number', format: '8 or 9 characters after IE: 7 digits and one or two letters', validator: pick('IE', 'vat') }],
  ['IT', { country: 'IT', noun: 'An Italian VAT number', format: '11 digits after IT', validator: pick('IT', 'iva') }],
  ['LT', { country: 'LT', noun: 'A Lithuanian VAT number', format: '9 or 12 digits after LT', validator: pick('LT', 'pvm') }],
  ['LU', { country: 'LU', noun: 'A Luxembourg VAT number', format: '8 digits after LU', validator: pick('LU', 'tva') }],
  ['LV', { country: 'LV', noun: 'A Latvian VAT number', format: '11 digits after LV', validator: pick('LV', 'pvn') }],
  ['MT', { country: 'MT', noun: 'A Maltese VAT number', format: '8 digits after MT', validator: pick('MT', 'vat') }],
  ['NL', { country: 'NL', noun: 'A Dutch VAT number', format: '12 characters after NL: 9 digits, B and 2 digits', validator: pick('NL', 'btw') }],
  ['PL', { country: 'PL', noun: 'A Polish VAT number', format: '10 digits after PL', validator: pick('PL', 'nip') }],
  ['PT', { country: 'PT', noun: 'A Portuguese VAT number', format: '9 digits after PT', validator: pick('PT', 'nif') }],
  ['RO', { country: 'RO', noun: 'A Romanian VAT number', format: '2 to 10 digits after RO', validator: pick('RO', 'cif') }],
  ['SE', { country: 'SE', noun: 'A Swedish VAT number', format: '12 digits after SE, ending in 01', validator: pick('SE', 'vat') }],
  ['SI', { country: 'SI', noun: 'A Slovenian VAT number', format: '8 digits after SI', validator: pick('SI', 'ddv') }],
  ['SK', { country: 'SK', noun: 'A Slovak VAT number', format: '10 digits after SK', validator: pick('SK', 'dph') }],
]);

/** Greece's ISO code is GR but its VAT prefix is EL; people type either. */
const VAT_PREFIX_ALIASES: ReadonlyMap<string, string> = new Map([['GR', 'EL']]);

/**
 * UK VAT (HMRC): 9 digits, 12 for a branch, or GD/HA and 3 digits for government departments and
 * health authorities; the same number with XI for a Northern Ireland business trading goods with the
 * EU (Windsor Framework). Source: HMRC VAT Notice 700/1 and "VAT EU Exit: Northern Ireland" (XI).
 */
const GB_VAT = { noun: 'A UK VAT number', format: '9 or 12 digits after GB (or GD or HA and 3 digits)', validator: pick('GB', 'vat') };
const XI_VAT = { noun: 'A Northern Ireland VAT number', format: '9 or 12 digits after XI', validator: pick('GB', 'vat') };

/** Australian Business Number (Australian Business Register, "ABN format"): 11 digits, modulus 89. */
const AU_ABN = pick('AU', 'abn');
/** NZ GST number = the IRD number (Inland Revenue): 8 or 9 digits with a modulus 11 check digit. */
const NZ_IRD = pick('NZ', 'ird');
/** German Steuernummer (tax number, not a VAT id): 10 to 13 digits, no public check digit. */
const DE_STNR = pick('DE', 'stnr');

/**
 * Malaysian Sales and Service Tax registration number, as printed on the certificates of the Royal
 * Malaysian Customs Department (JKDM/RMCD): a station code (letter and 2 digits), 4 digits (year and
 * month of registration) and an 8-digit running number, e.g. W10-1808-31000002; 17 characters, the
 * length IRBM's MyInvois e-invoice schema allows for the SST number. No check digit is published.
 */
const MY_SST = /^([A-Z]\d{2})-?(\d{4})-?(\d{8})$/;

/**
 * Malaysian Tax Identification Number (Inland Revenue Board, LHDN/IRBM, MyInvois SDK FAQ "How to
 * retrieve and validate the accuracy of my TIN?"):
 *   - individuals: IG and the digits, at most 14 characters; the old prefixes SG and OG are written
 *     IG with the same digits;
 *   - others: a prefix for the kind of taxpayer (C company, CS co-operative, D partnership, F
 *     association, FA non-resident entertainer, PT limited liability partnership, TA trust body, TC
 *     unit or property trust, TN business trust, TR real estate investment trust, TP deceased
 *     person's estate, J Hindu joint family, LE Labuan entity); zeros right after the prefix are
 *     dropped, and the number always ends in 0 (one is added when it does not), e.g. C2584563202 is
 *     written C25845632020. No check digit is published.
 */
const MY_TIN_INDIVIDUAL = /^(?:IG|SG|OG)(\d{9,12})$/;
const MY_TIN_OTHER = /^(CS|C|D|FA|F|PT|TA|TC|TN|TR|TP|J|LE)(\d+)$/;

const CHECKSUM_ERROR = 'InvalidChecksum';

/** What people put between groups of a number; '+' and '*' stay (old Irish VAT numbers use them). */
function compact(input: string): string {
  return input.toUpperCase().replace(/[\s.\-/:,]/g, '');
}

function failure(message: string): TaxIdResult {
  return { ok: false, message };
}

function validateVat(rest: string, noun: string, format: string, validator: Validator): { ok: true; compact: string } | { ok: false; message: string } {
  const result = validator.validate(rest);
  if (result.isValid) return { ok: true, compact: result.compact };
  if (result.error?.name === CHECKSUM_ERROR)
    return { ok: false, message: `This ${noun.replace(/^An? /, '')} does not pass its check digits: check it against your VAT registration.` };
  return { ok: false, message: `${noun} has ${format}.` };
}

function euVat(prefix: string, rest: string): TaxIdResult {
  const vat = EU_VAT_COUNTRIES.get(prefix)!;
  const checked = validateVat(rest, vat.noun, vat.format, vat.validator);
  if (!checked.ok) return failure(checked.message);
  const normalized = `${prefix}${checked.compact}`;
  return { ok: true, scheme: 'eu_vat', country: vat.country, normalized, display: normalized, label: 'VAT' };
}

function ukVat(prefix: 'GB' | 'XI', rest: string): TaxIdResult {
  const vat = prefix === 'GB' ? GB_VAT : XI_VAT;
  const checked = validateVat(rest, vat.noun, vat.format, vat.validator);
  if (!checked.ok) return failure(checked.message);
  const normalized = `${prefix}${checked.compact}`;
  return { ok: true, scheme: prefix === 'GB' ? 'gb_vat' : 'xi_vat', country: 'GB', normalized, display: normalized, label: 'VAT' };
}

function freeText(input: string, country: string | null): TaxIdResult {
  const text = input.trim().replace(/\s+/g, ' ');
  return { ok: true, scheme: 'free_text', country, normalized: text, display: text, label: 'Tax ID' };
}

/** A VAT id with its country prefix: two letters, then letters and digits with at least two digits. */
const PREFIXED = /^([A-Z]{2})([0-9A-Z+*]{2,14})$/;
/**
 * After the prefix a VAT id starts with a digit, except in these countries (ATU..., ESX..., the
 * French key, GBGD/GBHA); so 'HRB 12345' (a German register number) is not read as a Croatian VAT id.
 */
const PREFIXES_FOLLOWED_BY_LETTERS: ReadonlySet<string> = new Set(['AT', 'ES', 'FR', 'GB']);

/**
 * Recognises and checks a tax registration number. `country` is the ISO 3166-1 code the number is
 * given with (the billing form's country, or SELLER_COUNTRY), or null when unknown.
 */
export function validateTaxId(input: string, country: string | null): TaxIdResult {
  const hint = country?.trim().toUpperCase() || null;
  const trimmed = input.trim();
  if (trimmed === '') return failure('Enter a tax or VAT number, or leave the field empty.');
  const compacted = compact(trimmed);

  // Malaysian numbers carry no country, and PT is both a Portuguese VAT prefix and a Malaysian TIN
  // prefix: with a Malaysian country, Malaysia's formats come first.
  if (hint === 'MY') {
    const malaysian = malaysianTaxId(compacted);
    if (malaysian) return malaysian;
    if (/^[A-Z]\d{2}-/.test(trimmed.toUpperCase()))
      return failure('A Malaysian SST registration number looks like W10-1808-31000002: a letter and 2 digits, 4 digits, then 8 digits.');
    if (MY_TIN_OTHER.test(compacted) || /^(?:IG|SG|OG)\d+$/.test(compacted))
      return failure('A Malaysian TIN is its prefix and 10 or 11 digits ending in 0 (e.g. C25845632020), or IG and 9 to 12 digits for a person.');
  }

  const prefixed = PREFIXED.exec(compacted);
  if (prefixed && (prefixed[2]!.match(/\d/g)?.length ?? 0) >= 2) {
    const prefix = VAT_PREFIX_ALIASES.get(prefixed[1]!) ?? prefixed[1]!;
    const rest = prefixed[2]!;
    const shaped = /^\d/.test(rest) || PREFIXES_FOLLOWED_BY_LETTERS.has(prefix);
    if (shaped && EU_VAT_COUNTRIES.has(prefix)) return euVat(prefix, rest);
    if (shaped && (prefix === 'GB' || prefix === 'XI')) return ukVat(prefix, rest);
  }

  if (hint === null) return freeText(trimmed, null);
  const digitsOnly = /^\d+$/.test(compacted);

  const vatPrefix = VAT_PREFIX_ALIASES.get(hint) ?? hint;
  const vat = EU_VAT_COUNTRIES.get(vatPrefix);
  if (vat) {
    // An EU VAT id typed without its prefix: a number of that shape must be right; other numbers
    // (a German Steuernummer, a company register number) are not VAT ids.
    const result = vat.validator.validate(compacted);
    if (result.isValid) return euVat(vatPrefix, compacted);
    if (hint === 'DE' && digitsOnly && compacted.length >= 10) {
      const stnr = DE_STNR.validate(compacted);
      if (stnr.isValid) return { ok: true, scheme: 'de_stnr', country: 'DE', normalized: stnr.compact, display: trimmed, label: 'Steuernummer' };
    }
    if (digitsOnly || result.error?.name === CHECKSUM_ERROR) return euVat(vatPrefix, compacted);
    return freeText(trimmed, hint);
  }

  if ((hint === 'GB' || hint === 'IM') && (digitsOnly || /^(GD|HA)\d{3}$/.test(compacted))) return ukVat('GB', compacted);

  if (hint === 'AU' && digitsOnly) {
    const result = AU_ABN.validate(compacted);
    if (result.isValid) return { ok: true, scheme: 'au_abn', country: 'AU', normalized: result.compact, display: AU_ABN.format(result.compact), label: 'ABN' };
    if (result.error?.name === CHECKSUM_ERROR)
      return failure('This ABN does not pass its check digits: check it on the Australian Business Register (abr.business.gov.au).');
    return failure('An Australian Business Number (ABN) has 11 digits, e.g. 51 824 753 556.');
  }

  if (hint === 'NZ' && digitsOnly) {
    const result = NZ_IRD.validate(compacted);
    if (result.isValid) return { ok: true, scheme: 'nz_gst', country: 'NZ', normalized: result.compact, display: formatIrd(result.compact), label: 'GST' };
    if (result.error?.name === CHECKSUM_ERROR)
      return failure('This NZ GST number does not pass its check digits: check it against your GST registration with Inland Revenue.');
    return failure('A New Zealand GST number (your IRD number) has 8 or 9 digits, e.g. 49-091-850.');
  }

  return freeText(trimmed, hint);
}

/** Inland Revenue writes the last six digits in two groups of three: 49-091-850, 136-410-132. */
function formatIrd(digits: string): string {
  return `${digits.slice(0, -6)}-${digits.slice(-6, -3)}-${digits.slice(-3)}`;
}

function malaysianTaxId(compacted: string): TaxIdResult | null {
  const sst = MY_SST.exec(compacted);
  if (sst) {
    const normalized = `${sst[1]}-${sst[2]}-${sst[3]}`;
    return { ok: true, scheme: 'my_sst', country: 'MY', normalized, display: normalized, label: 'SST' };
  }
  const individual = MY_TIN_INDIVIDUAL.exec(compacted);
  if (individual) {
    const normalized = `IG${individual[1]}`;
    return { ok: true, scheme: 'my_tin', country: 'MY', normalized, display: normalized, label: 'TIN' };
  }
  const other = MY_TIN_OTHER.exec(compacted);
  if (other) {
    let digits = other[2]!.replace(/^0+/, '');
    if (!digits.endsWith('0')) digits += '0';
    if (digits.length >= 10 && digits.length <= 11) {
      const normalized = `${other[1]}${digits}`;
      return { ok: true, scheme: 'my_tin', country: 'MY', normalized, display: normalized, label: 'TIN' };
    }
  }
  return null;
}
