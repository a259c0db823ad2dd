import type { RateClass } from "./rate-limiter.ts";

/** Request counters, readable live through `RunningSimulator.stats`. */
export interface SimStats {
  /** Every request received, including rejected ones. */
  total: number;
  /** Authenticated requests per route name (e.g. `users.search`, `lastActive.get`), counted
   * before rate limiting, so pages fetched = `byRoute[name] - rejected`. */
  byRoute: Record<string, number>;
  /** Requests admitted by the limiter, per rate class. */
  byRateClass: Record<RateClass, number>;
  /** 429 answers. */
  rateLimited: number;
  /** 401 answers. */
  unauthorized: number;
  /** Injected faults (random errors, stale cursors, always-fail users, stalls). */
  faults: number;
  /** Requests left unanswered by the `stall` fault (also counted in `faults`). */
  stalls: number;
  /**
   * Requests being handled now, latency included. A write whose client went away after
   * sending it is still applied when its turn comes: 0 means nothing in flight will change
   * the org any more.
   */
  inFlight: number;
}

export function emptyStats(): SimStats {
  return {
    total: 0,
    byRoute: {},
    byRateClass: { "last-active": 0, events: 0, default: 0 },
    rateLimited: 0,
    unauthorized: 0,
    faults: 0,
    stalls: 0,
    inFlight: 0,
  };
}
