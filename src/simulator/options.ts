import type { SeedOptions } from "./generate-org.ts";

/**
 * Which records a data fault touches: `true` every record, `false` none, a number in 0..1 that
 * share of records (chosen by a stable hash of the fault seed and the record id, so the same
 * record is affected on every read), or a list of ids (account ids, or group ids for
 * {@link FaultOptions.nullGroupNames}).
 */
export type FaultSelector = boolean | number | readonly string[];

/** v2 user fields {@link FaultOptions.omitUserFields} can drop (no field of `MultiDirectoryUser`
 * is required by the spec). */
export type OmittableUserField =
  | "name"
  | "nickname"
  | "email"
  | "accountType"
  | "accountStatus"
  | "membershipStatus"
  | "status"
  | "addedToOrg"
  | "claimStatus";

/** How a stalled request misbehaves. */
export type StallMode =
  /** Nothing is ever sent: no status line, no headers. */
  | "no-response"
  /** `200` and headers, then the start of a JSON body, and never the rest. */
  | "partial-body";

/** Fault injection; everything is off by default. */
export interface FaultOptions {
  /** Probability (0..1) that an authenticated request fails with one of `statuses`. Applies to
   * every authenticated route (catalog reads, searches, per-user reads and writes alike). */
  errorRate?: number;
  /** Per-route failure probabilities that replace `errorRate` for those routes. Keys are route
   * names as in `stats.byRoute` (`groups.search`, …) or `"catalog"` for {@link CATALOG_ROUTES}. */
  routeErrorRates?: Record<string, number>;
  /** Statuses for random failures (default 500, 502, 503, 504). */
  statuses?: number[];
  /** Added latency per request in real ms: a fixed number or a `[min, max]` range. */
  latencyMs?: number | [number, number];
  /** Send HTML instead of JSON bodies on 429 and 5xx. */
  htmlErrorBodies?: boolean;
  /** Probability (0..1) that a request carrying a cursor gets 400 `ADMIN-400-1`. */
  staleCursorRate?: number;
  /** For this many ms (on the injected clock) after a write takes effect, reads of the written
   * user show its state from before the write. */
  readAfterWriteLagMs?: number;
  /** Writes answer at once but take effect this many ms (injected clock) later: until then
   * reads, later writes and the ground truth all see the old state. `readAfterWriteLagMs` then
   * counts from the moment the write takes effect. */
  writeDelayMs?: number;
  /** Per-user reads (details, last-active-dates, role-assignments, manage) of these accounts
   * always answer 500. */
  alwaysFailAccountIds?: string[];
  /** v2 `productAccess` entries (users search/list with `expand: ["productAccess"]`) of the
   * selected accounts lack `lastActiveTimestamp` (optional in the spec). A number selects
   * single entries (account and product), a list whole accounts. last-active-dates still
   * reports the activity. */
  productAccessWithoutTimestamp?: FaultSelector;
  /** Users search/list results of the selected accounts lack `groups` even when
   * `expand: ["groups"]` asked for it. */
  omitGroupsExpansion?: FaultSelector;
  /** The selected groups show `name: null` (and `description: null`) in the users' `groups`
   * expansion, where the spec makes both nullable. Group search keeps the name (required
   * string there). */
  nullGroupNames?: FaultSelector;
  /** v2 user reads (search, list, details) of the selected accounts omit these fields
   * (default `name`, `accountType`, `membershipStatus`). */
  omitUserFields?: { accounts: FaultSelector; fields?: OmittableUserField[] };
  /** Timestamps of the selected accounts (v2 `addedToOrg`, `deactivatedOn`,
   * `lastActiveTimestamp`; last-active-dates `*_timestamp`; v1 `last_active`) use lowercase
   * `t` and `z`, which RFC 3339 allows. */
  lowercaseTimestamps?: FaultSelector;
  /** Requests that never finish. `routes` are route names (default: every authenticated
   * route), `rate` the probability per request (default 1), `mode` default "no-response". */
  stall?: { routes?: string[]; rate?: number; mode?: StallMode };
  /** Users search and list never end: the last page carries a `next` cursor, and that cursor
   * and every one after it answer an empty page with a fresh `next`. */
  endlessCursors?: boolean;
  /** Deletes these accounts once `afterRequests` authenticated requests (default 0) have been
   * answered since the faults were set: from then on per-user reads answer 404 and the
   * accounts leave every list and the ground truth. */
  deleteUsers?: { accountIds: string[]; afterRequests?: number };
  /** Seed for the fault dice and record selection (default "faults"). */
  seed?: string | number;
}

/** Catalog reads: the group, workspace and directory listings a crawl reads before users. */
export const CATALOG_ROUTES: readonly string[] = [
  "directories.list",
  "groups.search",
  "groups.list",
  "groups.get",
  "groups.count",
  "groups.stats",
  "groups.roleAssignments",
  "workspaces.search",
];

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
  /** How app (bot) and JSM customer accounts appear. "spec" (default): as the 2026-09-24 v2
   * spec allows (`AccountType` is `atlassian` only), they are not directory users: absent from
   * v2 users search, list, count and stats, 404 on v2 details, role assignments and writes.
   * "legacy": listed in v2 with `accountType` `app` / `customer`, as the simulator did before. */
  accountTypes?: "spec" | "legacy";
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
  accountTypes: "spec" | "legacy";
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
    accountTypes: accountTypes(opts.accountTypes),
  };
}

function accountTypes(v: string | undefined): "spec" | "legacy" {
  if (v === undefined || v === "spec" || v === "legacy") return v ?? "spec";
  throw new RangeError(`simulator option accountTypes must be "spec" or "legacy", got ${v}`);
}

const unit = (v: number | undefined) => v === undefined || (v >= 0 && v <= 1);
const nonNegative = (v: number | undefined) => v === undefined || (Number.isFinite(v) && v >= 0);

/** Validates fault options (rates in 0..1, delays ≥ 0). Throws RangeError naming the bad field. */
export function validateFaults(f: FaultOptions): FaultOptions {
  const rates: [string, number | undefined][] = [
    ["errorRate", f.errorRate],
    ["staleCursorRate", f.staleCursorRate],
    ["stall.rate", f.stall?.rate],
    ...Object.entries(f.routeErrorRates ?? {}).map(
      ([route, rate]) => [`routeErrorRates.${route}`, rate] as [string, number],
    ),
  ];
  for (const [name, v] of rates) {
    if (!unit(v)) throw new RangeError(`faults.${name} must be in 0..1, got ${v}`);
  }
  const selectors: [string, FaultSelector | undefined][] = [
    ["productAccessWithoutTimestamp", f.productAccessWithoutTimestamp],
    ["omitGroupsExpansion", f.omitGroupsExpansion],
    ["nullGroupNames", f.nullGroupNames],
    ["omitUserFields.accounts", f.omitUserFields?.accounts],
    ["lowercaseTimestamps", f.lowercaseTimestamps],
  ];
  for (const [name, v] of selectors) {
    if (typeof v === "number" && !unit(v))
      throw new RangeError(
        `faults.${name} must be a share in 0..1, true/false or a list of ids, got ${v}`,
      );
  }
  for (const [name, v] of [
    ["readAfterWriteLagMs", f.readAfterWriteLagMs],
    ["writeDelayMs", f.writeDelayMs],
    ["deleteUsers.afterRequests", f.deleteUsers?.afterRequests],
  ] as const) {
    if (!nonNegative(v)) throw new RangeError(`faults.${name} must be a number >= 0, got ${v}`);
  }
  return f;
}
