/** Counts what a crawl asked of the API, from the client's per-attempt events. */
import type { RequestEvent } from "../atlassian/index.ts";

export interface CrawlMetrics {
  /** HTTP attempts by endpoint class (retries included). */
  apiCalls: Record<string, number>;
  apiCallsTotal: number;
  rateLimited: number;
  retries: number;
  /** The per-user phase: last-active-dates calls and the rate achieved against the limit. */
  perUser?: {
    calls: number;
    seconds: number;
    achievedPerMinute: number;
    limitPerMinute: number;
    /** achieved / limit, 0..1 */
    utilisation: number;
  };
}

export class RequestMeter {
  private readonly calls = new Map<string, number>();
  private rateLimited = 0;
  private retries = 0;

  /** Pass as the client's `onRequest`. */
  readonly record = (e: RequestEvent): void => {
    this.calls.set(e.endpoint, (this.calls.get(e.endpoint) ?? 0) + 1);
    if (e.rateLimited) this.rateLimited += 1;
    if (e.retried) this.retries += 1;
  };

  count(endpoint: string): number {
    return this.calls.get(endpoint) ?? 0;
  }

  /** This session's counts plus those `carried` over from earlier sessions of a resumed run. */
  metrics(
    carried?: { apiCalls: Record<string, number>; rateLimited: number; retries: number },
    perUser?: { calls: number; ms: number; limitPerMinute: number },
  ): CrawlMetrics {
    const apiCalls: Record<string, number> = { ...(carried?.apiCalls ?? {}) };
    for (const [endpoint, n] of this.calls) apiCalls[endpoint] = (apiCalls[endpoint] ?? 0) + n;
    const out: CrawlMetrics = {
      apiCalls,
      apiCallsTotal: Object.values(apiCalls).reduce((a, b) => a + b, 0),
      rateLimited: this.rateLimited + (carried?.rateLimited ?? 0),
      retries: this.retries + (carried?.retries ?? 0),
    };
    if (perUser && perUser.calls > 0) {
      const minutes = perUser.ms / 60_000;
      const achieved = minutes > 0 ? perUser.calls / minutes : 0;
      out.perUser = {
        calls: perUser.calls,
        seconds: Math.round(perUser.ms / 100) / 10,
        achievedPerMinute: Math.round(achieved * 10) / 10,
        limitPerMinute: perUser.limitPerMinute,
        utilisation: Math.round((achieved / perUser.limitPerMinute) * 1000) / 1000,
      };
    }
    return out;
  }
}
