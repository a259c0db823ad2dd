import { parseTimestamp } from "./timestamps.ts";

/** What a response told us about the rate limit. All times are epoch ms on the client clock. */
export interface RateLimitInfo {
  limit: number | undefined;
  remaining: number | undefined;
  /** When the current window resets (from `X-RateLimit-Reset`). */
  resetAt: number | undefined;
  /** Wait asked for by `Retry-After`, in ms. */
  retryAfterMs: number | undefined;
}

/**
 * `Retry-After`: delta-seconds (integer or decimal) or an HTTP-date. Returns ms from `nowMs`
 * (never negative) or undefined when absent/unparsable.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * `X-RateLimit-Reset`: documented as ISO 8601 UTC, observed at minute precision
 * (`2023-10-11T17:32Z`). Also accepts seconds, fractions, offsets, and — defensively — epoch
 * seconds/ms. Returns an absolute epoch-ms time or undefined.
 */
export function parseRateLimitReset(
  value: string | null | undefined,
  _nowMs: number,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === "") return undefined;
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (n > 1e12) return n; // epoch ms
    if (n > 1e9) return n * 1000; // epoch seconds
    return undefined; // a bare small number is ambiguous; Retry-After covers deltas
  }
  return parseTimestamp(v)?.getTime();
}

function parseCount(value: string | null): number | undefined {
  if (value === null) return undefined;
  const n = Number(value.trim());
  return Number.isFinite(n) && value.trim() !== "" ? n : undefined;
}

export function readRateLimitInfo(headers: Headers, nowMs: number): RateLimitInfo {
  return {
    limit: parseCount(headers.get("x-ratelimit-limit")),
    remaining: parseCount(headers.get("x-ratelimit-remaining")),
    resetAt: parseRateLimitReset(headers.get("x-ratelimit-reset"), nowMs),
    retryAfterMs: parseRetryAfter(headers.get("retry-after"), nowMs),
  };
}

/**
 * How long to wait before retrying a 429: `Retry-After` first, else `X-RateLimit-Reset` if it
 * lies in the future, else undefined (the caller falls back to exponential backoff).
 */
export function serverRequestedWaitMs(info: RateLimitInfo, nowMs: number): number | undefined {
  if (info.retryAfterMs !== undefined) return info.retryAfterMs;
  if (info.resetAt !== undefined && info.resetAt > nowMs) return info.resetAt - nowMs;
  return undefined;
}
