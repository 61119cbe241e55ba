/** A Peppol participant id: an electronic address scheme of four digits (ISO 6523 ICD), a colon, the identifier. */
export const PEPPOL_ID = /^\d{4}:[A-Za-z0-9.\-_]{1,50}$/;
export const PEPPOL_ID_MESSAGE = 'must be a Peppol participant id "scheme:id", e.g. 0088:7300010000001 or 0183:CHE123456788';

/** GS1's check digit (mod 10, weights 3 and 1 from the right) over all digits but the last. */
function gs1CheckDigitHolds(digits: string): boolean {
  const body = digits.slice(0, -1);
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum += Number(body[body.length - 1 - i]) * (i % 2 === 0 ? 3 : 1);
  return (10 - (sum % 10)) % 10 === Number(digits.at(-1));
}

/**
 * Why a participant id the Peppol rules would refuse is wrong, checked when it is given rather than when
 * the first invoice fails: a GLN (scheme 0088) is 13 digits with GS1's check digit (PEPPOL-COMMON-R040).
 */
export function peppolIdProblem(id: string): string | undefined {
  const [scheme, value = ''] = id.split(/:(.*)/s);
  if (scheme === '0088' && !(/^\d{13}$/.test(value) && gs1CheckDigitHolds(value))) return 'a GLN (scheme 0088) must be 13 digits with a valid GS1 check digit';
  return undefined;
}
