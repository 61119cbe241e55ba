/**
 * docs/domain.md R-42: the public API takes at most 60 requests per minute per client,
 * a limit that is not raisable. Counted outside the function instance (Lambda
 * runs many), so every instance sees the same count.
 */
export const API_REQUESTS_PER_MINUTE = 60;

/** What one request's hit on the limiter decided. */
export interface RateLimitDecision {
  /** False once the client has used up its window: the request must be refused, untouched. */
  allowed: boolean;
  /** Seconds until the next window opens (what `Retry-After` says); 0 when allowed. */
  retryAfterSeconds: number;
  /** Requests left in the current window after this one. */
  remaining: number;
}

export interface RateLimiter {
  /** Requests allowed per window. */
  readonly limit: number;
  /** Counts one request of `client` in the current window (the adapter's injected clock says which). */
  hit(client: string): Promise<RateLimitDecision>;
}
