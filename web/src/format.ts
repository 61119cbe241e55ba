/**
 * Swiss formats for what the pages show: amounts as `CHF 1'234.50`, dates as
 * `31.12.2026`. Amounts arrive from the API as decimal strings and are
 * formatted as strings: a money value never goes through a JS number here.
 */

/** `1234.5` in CHF → `CHF 1'234.50`; `-12` → `CHF -12.00`. */
export function formatAmount(amount: string, currency: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  if (!m) return `${currency} ${amount}`;
  const [, sign, whole, fraction = ''] = m;
  const grouped = whole!.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+(?!\d))/g, "'");
  const cents = (fraction + '00').slice(0, Math.max(2, fraction.replace(/0+$/, '').length));
  const zero = /^0*$/.test(whole! + fraction);
  return `${currency} ${sign && !zero ? '-' : ''}${grouped}.${cents}`;
}

/** `2026-12-31` → `31.12.2026`; anything else as it is. */
export function formatDate(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  return m ? `${m[3]}.${m[2]}.${m[1]}` : iso;
}

/** A QR reference in the groups of five the QR-bill prints (`21 00000 00003 ...`). */
export function formatReference(ref: string): string {
  const r = ref.replace(/\s+/g, '');
  if (/^\d{27}$/.test(r)) return `${r.slice(0, 2)} ${r.slice(2).replace(/(\d{5})(?=\d)/g, '$1 ')}`;
  return r.replace(/(.{4})(?=.)/g, '$1 ');
}
