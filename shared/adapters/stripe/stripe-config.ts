import { DEFAULT_STRIPE_RATE_PER_SECOND } from './rate-pacer.ts';

/** Everything the Stripe adapters need from the environment. */
export interface StripeConfig {
  secretKey: string;
  /** Only the webhook handler needs it; the nightly engine does not. */
  webhookSecret?: string;
  /** host/port/protocol point the SDK at the local fake server in tests. */
  apiHost?: string;
  apiPort?: number;
  apiProtocol?: 'http' | 'https';
  maxRequestsPerSecond: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the Stripe settings; undefined when no key is set, which is how the
 * engine knows to fall back to its sandbox gateway. A setting that is present
 * but malformed is an error: silently ignoring STRIPE_API_PORT would send
 * test traffic to api.stripe.com.
 */
export function readStripeConfig(env: Env = process.env): StripeConfig | undefined {
  const secretKey = nonEmpty(env.STRIPE_SECRET_KEY);
  if (!secretKey) return undefined;

  const config: StripeConfig = {
    secretKey,
    maxRequestsPerSecond: positiveNumber(env.STRIPE_MAX_RPS, 'STRIPE_MAX_RPS') ?? DEFAULT_STRIPE_RATE_PER_SECOND,
  };
  const webhookSecret = nonEmpty(env.STRIPE_WEBHOOK_SECRET);
  if (webhookSecret) config.webhookSecret = webhookSecret;
  const apiHost = nonEmpty(env.STRIPE_API_HOST);
  if (apiHost) config.apiHost = apiHost;
  const apiPort = port(env.STRIPE_API_PORT);
  if (apiPort !== undefined) config.apiPort = apiPort;
  const apiProtocol = protocol(env.STRIPE_API_PROTOCOL);
  if (apiProtocol) config.apiProtocol = apiProtocol;
  return config;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function positiveNumber(value: string | undefined, name: string): number | undefined {
  const raw = nonEmpty(value);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
}

function port(value: string | undefined): number | undefined {
  const raw = nonEmpty(value);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`STRIPE_API_PORT must be a TCP port, got "${raw}"`);
  return n;
}

function protocol(value: string | undefined): 'http' | 'https' | undefined {
  const raw = nonEmpty(value);
  if (raw === undefined) return undefined;
  if (raw !== 'http' && raw !== 'https') throw new Error(`STRIPE_API_PROTOCOL must be "http" or "https", got "${raw}"`);
  return raw;
}
