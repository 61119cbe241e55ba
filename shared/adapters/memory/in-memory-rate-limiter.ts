import { API_REQUESTS_PER_MINUTE, type RateLimitDecision, type RateLimiter } from '../../ports/rate-limiter.ts';

const WINDOW_MS = 60_000;

/** The DynamoDB limiter's fixed one-minute window per client, counted in this process (unit tests only). */
export class InMemoryRateLimiter implements RateLimiter {
  readonly limit = API_REQUESTS_PER_MINUTE;
  private readonly hits = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  async hit(client: string): Promise<RateLimitDecision> {
    await Promise.resolve();
    const now = this.now();
    const minute = Math.floor(now / WINDOW_MS);
    const key = `${client}#${minute}`;
    const n = this.hits.get(key) ?? 0;
    if (n >= this.limit) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(((minute + 1) * WINDOW_MS - now) / 1000)), remaining: 0 };
    this.hits.set(key, n + 1);
    return { allowed: true, retryAfterSeconds: 0, remaining: this.limit - n - 1 };
  }
}
