import type { Now, Sleep } from "./clock.ts";
import { abortReason } from "./clock.ts";

/** State of one pacing budget (one org's share of one rate limit). */
export interface BudgetStats {
  /** Configured ceiling, requests per minute. */
  limitPerMinute: number;
  /** HTTP attempts sent through this budget (retries included). */
  requests: number;
  /** 429 responses received. */
  rateLimited: number;
  inFlight: number;
  /** Current pacing as a fraction of the target (drops after 429s, recovers on success). */
  pace: number;
}

export interface LimiterOptions {
  limitPerMinute: number;
  maxConcurrency: number;
  /** Fraction of the ceiling to aim for; a little headroom absorbs network jitter. */
  targetUtilisation: number;
  now: Now;
  sleep: Sleep;
}

/** How far ahead an `X-RateLimit-Reset` may lie and still be trusted (the documented period is a minute). */
const MAX_TRUSTED_RESET_MS = 65_000;

/**
 * Paces one budget — an org's share of one rate limit — to its ceiling and bounds its concurrency. Shared by every
 * caller of one client.
 *
 * Pacing is a zero-burst GCRA: each request reserves the next free slot `interval` after the
 * previous one, so requests never bunch up, even after a stall. It adapts to the server:
 * a 429 pauses every caller until the server's wait is over and slows the pace by 15%
 * (recovering 2% per success); `X-RateLimit-Remaining: 0` pauses everyone until
 * `X-RateLimit-Reset`.
 */
export class RateLimiter {
  private readonly opts: LimiterOptions;
  private nextAt = 0;
  private pausedUntil = 0;
  private pace = 1;
  private inFlight = 0;
  private readonly waiters: Array<{ resolve: () => void }> = [];
  private counts = { requests: 0, rateLimited: 0 };

  constructor(opts: LimiterOptions) {
    this.opts = opts;
  }

  /** Milliseconds between request starts at the current pace. */
  get intervalMs(): number {
    return 60_000 / (this.opts.limitPerMinute * this.opts.targetUtilisation * this.pace);
  }

  /**
   * Waits for a concurrency slot and the next pacing slot. Returns a release function that must
   * be called once the response (or failure) is in.
   */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    await this.takeConcurrency(signal);
    try {
      for (;;) {
        const now = this.opts.now();
        const at = Math.max(now, this.nextAt, this.pausedUntil);
        this.nextAt = at + this.intervalMs;
        if (at > now) await this.opts.sleep(at - now, signal);
        // A 429 may have paused everyone while we slept: take a new slot after the pause.
        if (this.pausedUntil <= this.opts.now()) break;
      }
    } catch (e) {
      this.releaseConcurrency();
      throw e;
    }
    this.counts.requests++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.releaseConcurrency();
    };
  }

  /** Feed every response's rate-limit headers back in. */
  observe(
    status: number | undefined,
    remaining: number | undefined,
    resetAt: number | undefined,
  ): void {
    const now = this.opts.now();
    if (status !== undefined && status !== 429 && status < 500)
      this.pace = Math.min(1, this.pace + 0.02);
    if (
      remaining !== undefined &&
      remaining <= 0 &&
      resetAt !== undefined &&
      resetAt > now &&
      resetAt - now <= MAX_TRUSTED_RESET_MS
    ) {
      this.pauseUntil(resetAt);
    }
  }

  /** A 429 arrived: pause all callers for `waitMs` and slow down. */
  rateLimited(waitMs: number): void {
    this.counts.rateLimited++;
    this.pace = Math.max(0.3, this.pace * 0.85);
    this.pauseUntil(this.opts.now() + waitMs);
  }

  stats(): BudgetStats {
    return {
      limitPerMinute: this.opts.limitPerMinute,
      ...this.counts,
      inFlight: this.inFlight,
      pace: this.pace,
    };
  }

  private pauseUntil(t: number): void {
    if (t > this.pausedUntil) this.pausedUntil = t;
    if (this.nextAt < this.pausedUntil) this.nextAt = this.pausedUntil;
  }

  private takeConcurrency(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.inFlight < this.opts.maxConcurrency) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(abortReason(signal));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private releaseConcurrency(): void {
    const next = this.waiters.shift();
    if (next)
      next.resolve(); // the slot passes straight to the next waiter
    else this.inFlight--;
  }
}
