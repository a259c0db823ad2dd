import type { SeedOptions } from "./generate-org.ts";

/** Fault injection; everything is off by default. */
export interface FaultOptions {
  /** Probability (0..1) that an authenticated request fails with one of `statuses`. */
  errorRate?: number;
  /** Statuses for random failures (default 500, 502, 503, 504). */
  statuses?: number[];
  /** Added latency per request in real ms: a fixed number or a `[min, max]` range. */
  latencyMs?: number | [number, number];
  /** Send HTML instead of JSON bodies on 429 and 5xx. */
  htmlErrorBodies?: boolean;
  /** Probability (0..1) that a request carrying a cursor gets 400 `ADMIN-400-1`. */
  staleCursorRate?: number;
  /** For this many ms (on the injected clock) after a write, reads of the written user show
   * its state from before the write. */
  readAfterWriteLagMs?: number;
  /** Per-user reads (details, last-active-dates, role-assignments, manage) of these accounts
   * always answer 500. */
  alwaysFailAccountIds?: string[];
  /** Seed for the fault dice (default "faults"). */
  seed?: string | number;
}

/** Per-org, per-class request budgets per API minute. */
export interface RateLimitOptions {
  /** last-active-dates, per org (documented: 200/min). */
  lastActivePerMinute?: number;
  /** Every other endpoint, per org (not published; default 1000). */
  defaultPerMinute?: number;
  /** Audit events, per org (documented: 10/min). */
  eventsPerMinute?: number;
}

export interface SimulatorOptions {
  /** One entry per org (default: one org with default seed options). */
  orgs?: SeedOptions[];
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** ms epoch clock (default `Date.now`). Rate windows, write times and events use it. */
  clock?: () => number;
  /** 1 = real time; 60 ⇒ a one-minute rate window lasts one second. */
  timeScale?: number;
  rateLimits?: RateLimitOptions;
  /** Send `Retry-After` (seconds) on 429 (default true). */
  retryAfterHeader?: boolean;
  /** `X-RateLimit-Reset` format: "iso" (default, `2026-11-28T12:01:00.000Z`) or "minute", the
   * minute-precision form observed live (`2026-11-28T12:01Z`, rounded up to the next minute). */
  rateLimitResetFormat?: "iso" | "minute";
  /** v1 directory writes: "on" serves them, "sunset" (default) answers 410 as after
   * 2026-06-30, "off" does not know the paths at all (404). */
  legacyV1?: "off" | "on" | "sunset";
  /** Items per page of last-active-dates `product_access` (default 5). */
  lastActivePageSize?: number;
  /** Items per page of v1 `/users` (default 100). */
  v1UsersPageSize?: number;
  faults?: FaultOptions;
}

/** Options with defaults applied. */
export interface ResolvedOptions {
  host: string;
  port: number;
  clock: () => number;
  timeScale: number;
  limits: { "last-active": number; events: number; default: number };
  retryAfterHeader: boolean;
  rateLimitResetFormat: "iso" | "minute";
  legacyV1: "off" | "on" | "sunset";
  lastActivePageSize: number;
  v1UsersPageSize: number;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0)
    throw new RangeError(`simulator option ${name} must be > 0, got ${v}`);
  return v;
}

function resetFormat(v: string | undefined): "iso" | "minute" {
  if (v === undefined || v === "iso" || v === "minute") return v ?? "iso";
  throw new RangeError(`simulator option rateLimitResetFormat must be "iso" or "minute", got ${v}`);
}

/** Applies defaults and validates ranges. Throws RangeError naming the bad option. */
export function resolveOptions(opts: SimulatorOptions): ResolvedOptions {
  return {
    host: opts.host ?? "127.0.0.1",
    port: opts.port ?? 0,
    clock: opts.clock ?? Date.now,
    timeScale: positive("timeScale", opts.timeScale, 1),
    limits: {
      "last-active": Math.floor(
        positive("rateLimits.lastActivePerMinute", opts.rateLimits?.lastActivePerMinute, 200),
      ),
      events: Math.floor(
        positive("rateLimits.eventsPerMinute", opts.rateLimits?.eventsPerMinute, 10),
      ),
      default: Math.floor(
        positive("rateLimits.defaultPerMinute", opts.rateLimits?.defaultPerMinute, 1000),
      ),
    },
    retryAfterHeader: opts.retryAfterHeader ?? true,
    rateLimitResetFormat: resetFormat(opts.rateLimitResetFormat),
    legacyV1: opts.legacyV1 ?? "sunset",
    lastActivePageSize: Math.floor(positive("lastActivePageSize", opts.lastActivePageSize, 5)),
    v1UsersPageSize: Math.floor(positive("v1UsersPageSize", opts.v1UsersPageSize, 100)),
  };
}

/** Validates fault options (rates in 0..1). Throws RangeError naming the bad field. */
export function validateFaults(f: FaultOptions): FaultOptions {
  for (const [name, v] of [
    ["errorRate", f.errorRate],
    ["staleCursorRate", f.staleCursorRate],
  ] as const) {
    if (v !== undefined && !(v >= 0 && v <= 1))
      throw new RangeError(`faults.${name} must be in 0..1, got ${v}`);
  }
  return f;
}
