/** Reading staff forms: a trimmed string field, or '' when absent or not a string. */
export function field(body: Record<string, unknown>, name: string, maxLength = 1000): string {
  const value = body[name];
  return typeof value === 'string' ? value.trim().slice(0, maxLength) : '';
}

export function optionalField(body: Record<string, unknown>, name: string, maxLength = 1000): string | null {
  const value = field(body, name, maxLength);
  return value === '' ? null : value;
}

/** Route ids are positive integers; anything else is a 404, not a database query. */
export function idParam(value: string | undefined): number | undefined {
  return value !== undefined && /^[1-9]\d{0,15}$/.test(value) ? Number(value) : undefined;
}
