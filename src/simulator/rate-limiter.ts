/** Endpoint classes that have their own budget per org (§5). */
export type RateClass = "last-active" | "events" | "default";

/** The limiter's answer for one request. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** ms epoch when the current window ends. */
  resetAt: number;
}

/**
 * Fixed-window limiter keyed by (org, class). A window lasts `windowMs` (one API minute divided
 * by the time scale); windows are aligned to multiples of `windowMs` on the injected clock.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limits: Record<RateClass, number>,
    private readonly windowMs: number,
  ) {}

  /** Counts one request if budget is left. */
  take(orgId: string, cls: RateClass, now: number): RateDecision {
    return this.decide(orgId, cls, now, true);
  }

  /** Reports the budget without counting (for responses that never reach an org, e.g. 401). */
  peek(orgId: string, cls: RateClass, now: number): RateDecision {
    return this.decide(orgId, cls, now, false);
  }

  private decide(orgId: string, cls: RateClass, now: number, count: boolean): RateDecision {
    const limit = this.limits[cls];
    const start = Math.floor(now / this.windowMs) * this.windowMs;
    const key = `${orgId}|${cls}`;
    let w = this.windows.get(key);
    if (!w || w.start !== start) {
      w = { start, count: 0 };
      this.windows.set(key, w);
    }
    const allowed = w.count < limit;
    if (allowed && count) w.count++;
    return {
      allowed,
      limit,
      remaining: Math.max(0, limit - w.count),
      resetAt: start + this.windowMs,
    };
  }
}
