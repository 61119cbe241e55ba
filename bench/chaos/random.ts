import { createHash } from 'node:crypto';
import { mulberry32 } from '../../functions/cli/demo-portfolio.ts';

export { mulberry32 };

/** A sequential stream of decisions, for code that runs one step after the other (the customers, the webhook wire). */
export class Rng {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  float(): number {
    return this.next();
  }

  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('pick from an empty list');
    return xs[Math.floor(this.next() * xs.length)]!;
  }

  /** One of `[value, weight]` pairs, in proportion to the weights. */
  weighted<T>(xs: readonly (readonly [T, number])[]): T {
    const total = xs.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [x, w] of xs) {
      r -= w;
      if (r < 0) return x;
    }
    return xs[xs.length - 1]![0];
  }

  /** Up to `n` distinct elements, in a random order. */
  sample<T>(xs: readonly T[], n: number): T[] {
    return this.shuffle(xs).slice(0, Math.max(0, n));
  }

  shuffle<T>(xs: readonly T[]): T[] {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

/**
 * A decision that depends only on the seed and what it is about (a business
 * key and how many times it was seen), never on the order concurrent workers
 * happen to reach it: the same seed injects the same faults into the same
 * renewals however the queues interleave.
 */
export function keyedChance(seed: number, p: number, ...parts: (string | number)[]): boolean {
  if (p <= 0) return false;
  const h = createHash('sha256')
    .update(`${seed}\u0000${parts.join('\u0000')}`)
    .digest();
  return h.readUInt32BE(0) / 4294967296 < p;
}
