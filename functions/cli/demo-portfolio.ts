import pLimit from 'p-limit';
import { addDays, type IsoDate } from '../../shared/domain/calendar.ts';
import type { Currency } from '../../shared/domain/money.ts';
import type { Language } from '../../shared/domain/organisation.ts';
import type { PaymentMethodKind } from '../../shared/domain/payment-methods.ts';
import { addPaymentMethod, createOrganisation } from '../../shared/use-cases/manage-organisation.ts';
import { addProducts } from '../../shared/use-cases/manage-products.ts';
import { topUpBalance } from '../../shared/use-cases/top-up-balance.ts';
import type { LocalRuntime } from '../local-runtime.ts';

/** Small, seeded PRNG so a demo portfolio (and a chaos run) is the same on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface MethodProfile {
  weight: number;
  kind: PaymentMethodKind;
  ref: string;
  label: string;
  chfOnly?: boolean;
}

/** Saved methods with Stripe's test behaviour: most succeed, some decline, some need the customer. */
const METHODS: MethodProfile[] = [
  { weight: 50, kind: 'card', ref: 'pm_card_visa', label: 'Visa •••• 4242' },
  { weight: 12, kind: 'card', ref: 'pm_card_mastercard', label: 'Mastercard •••• 4444' },
  { weight: 10, kind: 'twint', ref: 'pm_twint', label: 'Twint', chfOnly: true },
  { weight: 5, kind: 'paypal', ref: 'pm_paypal', label: 'PayPal' },
  { weight: 10, kind: 'card', ref: 'pm_card_chargeDeclined', label: 'Visa •••• 0002' },
  { weight: 7, kind: 'card', ref: 'pm_card_authenticationRequired', label: 'Visa •••• 3184' },
  { weight: 6, kind: 'card', ref: '', label: 'none (prepaid balance only)' },
];

const TYPES = ['domain-ch', 'domain-com', 'web-hosting', 'mail-service', 'cloud-storage', 'cloud-server', 'streaming'];
/** The language of a demo organisation: its country's, and for Switzerland one of its three plus English, by its id (no draw of the seed). */
function languageOf(country: string, id: string): Language {
  const byCountry: Record<string, Language> = { DE: 'de', AT: 'de', LI: 'de', FR: 'fr', IT: 'it' };
  if (byCountry[country]) return byCountry[country];
  const swiss: Language[] = ['de', 'fr', 'de', 'it', 'fr', 'en'];
  return swiss[Number(id.replace(/\D/g, '').slice(-3)) % swiss.length]!;
}

const COUNTRIES_EUR: { country: string; vat?: string }[] = [
  { country: 'DE', vat: 'DE129273398' },
  { country: 'FR' },
  { country: 'AT' },
  { country: 'IT' },
  { country: 'FR', vat: 'FR40303265045' },
];

export interface SeedOptions {
  orgs: number;
  products: number;
  today: IsoDate;
  seed?: number;
  /** Product expiries spread over this many days from the first one. */
  spreadDays?: number;
  /** The first expiry, in days from today (1 by default; below 0, some products have lapsed already). */
  firstExpiryInDays?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface SeedResult {
  orgs: number;
  products: number;
  orgIds: string[];
}

/**
 * A realistic portfolio: organisations in CHF and EUR, products of every type
 * expiring over the coming weeks, prepaid balances, and saved methods that
 * succeed, decline and need authentication.
 */
export async function seedPortfolio(rt: LocalRuntime, opts: SeedOptions): Promise<SeedResult> {
  const rnd = mulberry32(opts.seed ?? 42);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const deps = rt.deps;
  const prefix = `${opts.today.replaceAll('-', '')}`;
  const total = opts.orgs + opts.products;
  let done = 0;
  // Every draw is made first, in one order, so the portfolio is the same whatever order the writes finish in;
  // the writes then run a few at a time (each waits on the store, not on the CPU).
  const limit = pLimit(SEED_CONCURRENCY);
  const step = async <T>(write: () => Promise<T>): Promise<T> => {
    const res = await write();
    opts.onProgress?.(++done, total);
    return res;
  };

  const orgs = Array.from({ length: opts.orgs }, (_, i) => {
    const currency: Currency = rnd() < 0.7 ? 'CHF' : 'EUR';
    const place = currency === 'CHF' ? { country: rnd() < 0.9 ? 'CH' : 'LI' } : pick(COUNTRIES_EUR);
    const id = `org-${prefix}-${String(i + 1).padStart(4, '0')}`;
    const name = `${pick(['Alpine', 'Léman', 'Rhein', 'Jura', 'Ticino', 'Aare', 'Säntis'])} ${pick(['Web', 'Média', 'Digital', 'Studio', 'Shop'])} ${i + 1}`;
    let profile = weighted(rnd, METHODS);
    if (profile.chfOnly && currency !== 'CHF') profile = METHODS[0]!;
    const balanceRoll = rnd();
    const topUp = balanceRoll < 0.35 || !profile.ref ? (balanceRoll < 0.1 ? '500.00' : `${10 + Math.floor(rnd() * 90)}.00`) : undefined;
    return { id, name, currency, place, profile, topUp };
  });
  const methodIds = await Promise.all(
    orgs.map(({ id, name, currency, place, profile, topUp }) =>
      limit(() =>
        step(async () => {
          const email = `billing@${id}.example`;
          await createOrganisation(deps, {
            id,
            name,
            currency,
            country: place.country,
            ...('vat' in place && place.vat ? { vatNumber: place.vat } : {}),
            owner: { userId: `user-${id}`, email, name: `Owner of ${id}` },
            billingContacts: [email],
            language: languageOf(place.country, id),
          });
          const pm = profile.ref
            ? await addPaymentMethod(deps, id, { kind: profile.kind, label: profile.label, gatewayRef: profile.ref, ...(profile.kind === 'card' ? { brand: 'visa' } : {}) })
            : undefined;
          if (topUp) await topUpBalance(deps, id, { amount: topUp, reference: `demo-${id}` });
          return pm?.id;
        }),
      ),
    ),
  );
  const orgIds = orgs.map((o) => o.id);
  const methodOf = new Map(orgIds.map((id, i) => [id, methodIds[i]]));

  const spread = opts.spreadDays ?? 60;
  const products = Array.from({ length: opts.products }, (_, j) => {
    const orgId = pick(orgIds);
    const typeId = pick(TYPES);
    const type = deps.catalogue.get(typeId)!;
    const expiry = addDays(opts.today, (opts.firstExpiryInDays ?? 1) + Math.floor(rnd() * spread));
    // A new order paid with a saved method switches auto-renew on (docs/domain.md R-8); some customers turned it off.
    const autoRenew = rnd() < 0.75;
    const name = typeId.startsWith('domain') ? `site-${j + 1}${typeId === 'domain-ch' ? '.ch' : '.com'}` : `${type.name} #${j + 1}`;
    const periodMonths = pick(type.allowedPeriodsMonths.slice(0, 2));
    return { orgId, input: { id: `prd-${prefix}-${String(j + 1).padStart(5, '0')}`, typeId, name, expiry, periodMonths, autoRenew } };
  });
  // Each organisation's products in one bulk add (its record and method read once), organisations a few at a time.
  const byOrg = new Map<string, typeof products>();
  for (const p of products) (byOrg.get(p.orgId) ?? byOrg.set(p.orgId, []).get(p.orgId)!).push(p);
  await Promise.all(
    [...byOrg].map(([orgId, rows]) =>
      limit(async () => {
        const methodId = methodOf.get(orgId);
        const report = await addProducts(
          deps,
          orgId,
          rows.map((r) => ({ ...r.input, ...(methodId ? { paymentMethodId: methodId } : {}) })),
        );
        const refused = report.find((r) => r.status === 'refused');
        if (refused) throw new Error(`seed: product ${rows[refused.row]!.input.id} refused: ${refused.message}`);
        for (let i = 0; i < report.length; i++) opts.onProgress?.(++done, total);
      }),
    ),
  );
  return { orgs: opts.orgs, products: opts.products, orgIds };
}

/** Writes in flight at once while seeding: enough to keep the store busy on two cores. */
const SEED_CONCURRENCY = 8;

function weighted<T extends { weight: number }>(rnd: () => number, xs: T[]): T {
  const sum = xs.reduce((s, x) => s + x.weight, 0);
  let r = rnd() * sum;
  for (const x of xs) {
    r -= x.weight;
    if (r < 0) return x;
  }
  return xs[xs.length - 1]!;
}
