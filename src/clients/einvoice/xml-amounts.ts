import { minorToDecimalString } from '../../domain/money.js';

/** An amount as e-invoice XML writes it: exact decimal text with the currency's own digits. */
export function xmlAmount(minor: number, currency: string): string {
  return minorToDecimalString(minor, currency);
}

/** 'YYYY-MM-DD' as CII's date format 102 writes it: 'YYYYMMDD'. */
export function ciiDate(date: string): string {
  return date.replaceAll('-', '');
}
