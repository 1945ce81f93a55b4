// The passport envelope, without the schema: small enough for verification worker threads to import.

/** Unwraps the registry envelope (`{ passport: {...}, _links }`) or returns the bare passport object. */
export function unwrapPassport(doc: unknown): Record<string, unknown> | undefined {
  if (!isObject(doc)) return undefined;
  // Both shapes must hold an `unfragile` object; an envelope around anything else is not a passport.
  if (isObject(doc.passport)) return isObject(doc.passport.unfragile) ? doc.passport : undefined;
  if (isObject(doc.unfragile)) return doc;
  return undefined;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
