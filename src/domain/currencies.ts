/**
 * ISO 4217 currencies a course can be priced in, with ISO's minor units.
 *
 * Source: ISO 4217 List One as published by the maintenance agency (SIX) on
 * 2026-01-01 (the amendment current in 2026). Changes since the 2024-06-25
 * publication, which is the last one we could read in full:
 *   - XCG (Caribbean Guilder) replaced ANG for Curaçao and Sint Maarten; ANG was
 *     withdrawn on 2025-03-31 and is not listed.
 *   - BGN moved to List Three (historic) on 2026-01-01, when Bulgaria adopted
 *     the euro; it is not listed.
 *
 * We keep our own table rather than asking `Intl` because CLDR deliberately
 * deviates from ISO on some currencies (it says HUF, IDR, COP... have 0 digits
 * and IQD 0); invoices and bank files must agree with ISO.
 *
 * Left out on purpose, because nobody can pay a course fee in them:
 *   - entries with no minor unit ("N.A."): XAU, XAG, XPT, XPD (metals), XDR, XSU,
 *     XUA, XBA, XBB, XBC, XBD (units of account), XTS (testing), XXX (no currency);
 *   - entries ISO flags as funds (IsFund): BOV, CHE, CHW, CLF, COU, MXV, USN, UYI.
 * UYW (Unidad Previsional) is not flagged as a fund in List One, so it stays,
 * keeping the rule mechanical: "List One minus N.A. minus IsFund".
 *
 * Names are ISO's English currency names (CcyNm), trimmed.
 */

export interface CurrencyInfo {
  readonly code: string;
  readonly minorUnits: number;
  readonly name: string;
}

// [code, minor units, name], in code order so a diff against List One is easy to read.
const ISO_4217_LIST_ONE: ReadonlyArray<readonly [string, number, string]> = [
  ['AED', 2, 'UAE Dirham'],
  ['AFN', 2, 'Afghani'],
  ['ALL', 2, 'Lek'],
  ['AMD', 2, 'Armenian Dram'],
  ['AOA', 2, 'Kwanza'],
  ['ARS', 2, 'Argentine Peso'],
  ['AUD', 2, 'Australian Dollar'],
  ['AWG', 2, 'Aruban Florin'],
  ['AZN', 2, 'Azerbaijan Manat'],
  ['BAM', 2, 'Convertible Mark'],
  ['BBD', 2, 'Barbados Dollar'],
  ['BDT', 2, 'Taka'],
  ['BHD', 3, 'Bahraini Dinar'],
  ['BIF', 0, 'Burundi Franc'],
  ['BMD', 2, 'Bermudian Dollar'],
  ['BND', 2, 'Brunei Dollar'],
  ['BOB', 2, 'Boliviano'],
  ['BRL', 2, 'Brazilian Real'],
  ['BSD', 2, 'Bahamian Dollar'],
  ['BTN', 2, 'Ngultrum'],
  ['BWP', 2, 'Pula'],
  ['BYN', 2, 'Belarusian Ruble'],
  ['BZD', 2, 'Belize Dollar'],
  ['CAD', 2, 'Canadian Dollar'],
  ['CDF', 2, 'Congolese Franc'],
  ['CHF', 2, 'Swiss Franc'],
  ['CLP', 0, 'Chilean Peso'],
  ['CNY', 2, 'Yuan Renminbi'],
  ['COP', 2, 'Colombian Peso'],
  ['CRC', 2, 'Costa Rican Colon'],
  ['CUC', 2, 'Peso Convertible'],
  ['CUP', 2, 'Cuban Peso'],
  ['CVE', 2, 'Cabo Verde Escudo'],
  ['CZK', 2, 'Czech Koruna'],
  ['DJF', 0, 'Djibouti Franc'],
  ['DKK', 2, 'Danish Krone'],
  ['DOP', 2, 'Dominican Peso'],
  ['DZD', 2, 'Algerian Dinar'],
  ['EGP', 2, 'Egyptian Pound'],
  ['ERN', 2, 'Nakfa'],
  ['ETB', 2, 'Ethiopian Birr'],
  ['EUR', 2, 'Euro'],
  ['FJD', 2, 'Fiji Dollar'],
  ['FKP', 2, 'Falkland Islands Pound'],
  ['GBP', 2, 'Pound Sterling'],
  ['GEL', 2, 'Lari'],
  ['GHS', 2, 'Ghana Cedi'],
  ['GIP', 2, 'Gibraltar Pound'],
  ['GMD', 2, 'Dalasi'],
  ['GNF', 0, 'Guinean Franc'],
  ['GTQ', 2, 'Quetzal'],
  ['GYD', 2, 'Guyana Dollar'],
  ['HKD', 2, 'Hong Kong Dollar'],
  ['HNL', 2, 'Lempira'],
  ['HTG', 2, 'Gourde'],
  ['HUF', 2, 'Forint'],
  ['IDR', 2, 'Rupiah'],
  ['ILS', 2, 'New Israeli Sheqel'],
  ['INR', 2, 'Indian Rupee'],
  ['IQD', 3, 'Iraqi Dinar'],
  ['IRR', 2, 'Iranian Rial'],
  ['ISK', 0, 'Iceland Krona'],
  ['JMD', 2, 'Jamaican Dollar'],
  ['JOD', 3, 'Jordanian Dinar'],
  ['JPY', 0, 'Yen'],
  ['KES', 2, 'Kenyan Shilling'],
  ['KGS', 2, 'Som'],
  ['KHR', 2, 'Riel'],
  ['KMF', 0, 'Comorian Franc'],
  ['KPW', 2, 'North Korean Won'],
  ['KRW', 0, 'Won'],
  ['KWD', 3, 'Kuwaiti Dinar'],
  ['KYD', 2, 'Cayman Islands Dollar'],
  ['KZT', 2, 'Tenge'],
  ['LAK', 2, 'Lao Kip'],
  ['LBP', 2, 'Lebanese Pound'],
  ['LKR', 2, 'Sri Lanka Rupee'],
  ['LRD', 2, 'Liberian Dollar'],
  ['LSL', 2, 'Loti'],
  ['LYD', 3, 'Libyan Dinar'],
  ['MAD', 2, 'Moroccan Dirham'],
  ['MDL', 2, 'Moldovan Leu'],
  ['MGA', 2, 'Malagasy Ariary'],
  ['MKD', 2, 'Denar'],
  ['MMK', 2, 'Kyat'],
  ['MNT', 2, 'Tugrik'],
  ['MOP', 2, 'Pataca'],
  ['MRU', 2, 'Ouguiya'],
  ['MUR', 2, 'Mauritius Rupee'],
  ['MVR', 2, 'Rufiyaa'],
  ['MWK', 2, 'Malawi Kwacha'],
  ['MXN', 2, 'Mexican Peso'],
  ['MYR', 2, 'Malaysian Ringgit'],
  ['MZN', 2, 'Mozambique Metical'],
  ['NAD', 2, 'Namibia Dollar'],
  ['NGN', 2, 'Naira'],
  ['NIO', 2, 'Cordoba Oro'],
  ['NOK', 2, 'Norwegian Krone'],
  ['NPR', 2, 'Nepalese Rupee'],
  ['NZD', 2, 'New Zealand Dollar'],
  ['OMR', 3, 'Rial Omani'],
  ['PAB', 2, 'Balboa'],
  ['PEN', 2, 'Sol'],
  ['PGK', 2, 'Kina'],
  ['PHP', 2, 'Philippine Peso'],
  ['PKR', 2, 'Pakistan Rupee'],
  ['PLN', 2, 'Zloty'],
  ['PYG', 0, 'Guarani'],
  ['QAR', 2, 'Qatari Rial'],
  ['RON', 2, 'Romanian Leu'],
  ['RSD', 2, 'Serbian Dinar'],
  ['RUB', 2, 'Russian Ruble'],
  ['RWF', 0, 'Rwanda Franc'],
  ['SAR', 2, 'Saudi Riyal'],
  ['SBD', 2, 'Solomon Islands Dollar'],
  ['SCR', 2, 'Seychelles Rupee'],
  ['SDG', 2, 'Sudanese Pound'],
  ['SEK', 2, 'Swedish Krona'],
  ['SGD', 2, 'Singapore Dollar'],
  ['SHP', 2, 'Saint Helena Pound'],
  ['SLE', 2, 'Leone'],
  ['SOS', 2, 'Somali Shilling'],
  ['SRD', 2, 'Surinam Dollar'],
  ['SSP', 2, 'South Sudanese Pound'],
  ['STN', 2, 'Dobra'],
  ['SVC', 2, 'El Salvador Colon'],
  ['SYP', 2, 'Syrian Pound'],
  ['SZL', 2, 'Lilangeni'],
  ['THB', 2, 'Baht'],
  ['TJS', 2, 'Somoni'],
  ['TMT', 2, 'Turkmenistan New Manat'],
  ['TND', 3, 'Tunisian Dinar'],
  ['TOP', 2, 'Pa’anga'],
  ['TRY', 2, 'Turkish Lira'],
  ['TTD', 2, 'Trinidad and Tobago Dollar'],
  ['TWD', 2, 'New Taiwan Dollar'],
  ['TZS', 2, 'Tanzanian Shilling'],
  ['UAH', 2, 'Hryvnia'],
  ['UGX', 0, 'Uganda Shilling'],
  ['USD', 2, 'US Dollar'],
  ['UYU', 2, 'Peso Uruguayo'],
  ['UYW', 4, 'Unidad Previsional'],
  ['UZS', 2, 'Uzbekistan Sum'],
  // ISO names both Venezuelan codes "Bolívar Soberano"; VED is the digital bolívar.
  ['VED', 2, 'Bolívar Soberano'],
  ['VES', 2, 'Bolívar Soberano'],
  ['VND', 0, 'Dong'],
  ['VUV', 0, 'Vatu'],
  ['WST', 2, 'Tala'],
  ['XAF', 0, 'CFA Franc BEAC'],
  ['XCD', 2, 'East Caribbean Dollar'],
  ['XCG', 2, 'Caribbean Guilder'],
  ['XOF', 0, 'CFA Franc BCEAO'],
  ['XPF', 0, 'CFP Franc'],
  ['YER', 2, 'Yemeni Rial'],
  ['ZAR', 2, 'Rand'],
  ['ZMW', 2, 'Zambian Kwacha'],
  ['ZWG', 2, 'Zimbabwe Gold'],
];

export const CURRENCIES: ReadonlyMap<string, CurrencyInfo> = new Map(
  ISO_4217_LIST_ONE.map(([code, minorUnits, name]) => [code, Object.freeze({ code, minorUnits, name })]),
);

/** Exact, upper-case lookup: codes are stored upper-case, so 'aud' is a caller bug, not a synonym. */
export function currencyInfo(code: string): CurrencyInfo | undefined {
  return CURRENCIES.get(code);
}

export function isCurrencyCode(code: string): boolean {
  return CURRENCIES.has(code);
}

/**
 * Currencies whose ISO 4217 entry has minor units that bank transfers do not use: banks move whole
 * forints, rupiah, New Taiwan dollars and Ugandan shillings (ISO already gives UGX 0 decimals; it
 * is listed so the rule reads the same for all four). An invoice in one of them asks for a whole
 * amount (see `invoiceAmounts` in tax.ts), so the amount due is what the learner can actually pay.
 * Add a code here when a bank of yours turns out to drop decimals too.
 */
export const WHOLE_UNIT_TRANSFER_CURRENCIES: ReadonlySet<string> = new Set(['HUF', 'IDR', 'TWD', 'UGX']);

/** The smallest amount a transfer in this currency can carry, in minor units (100 for HUF, 1 for EUR). */
export function transferUnitMinor(currency: string): number {
  const info = CURRENCIES.get(currency);
  if (!info || !WHOLE_UNIT_TRANSFER_CURRENCIES.has(currency)) return 1;
  return 10 ** info.minorUnits;
}
