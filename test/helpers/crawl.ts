/**
 * Crawls a simulated org and compares the database with the simulator's ground truth.
 * The expectation is computed from the simulator's model (SimOrg), not from its HTTP views,
 * so a disagreement between the crawler's and the simulator's reading of the API shows up.
 */
import type { Kysely } from "kysely";
import { expect } from "vitest";
import { createAtlassianClient, type RequestEvent } from "../../src/atlassian/index.ts";
import type { CrawlStrategy } from "../../src/config/sections/crawl.ts";
import { crawlOrg, type CrawlOrgOptions, type CrawlOrgResult } from "../../src/crawl/crawl-org.ts";
import { RequestMeter } from "../../src/crawl/metrics.ts";
import type { Database } from "../../src/db/schema.ts";
import { systemClock, type Clock } from "../../src/shared/clock.ts";
import { silentLogger, type Logger } from "../../src/shared/log.ts";
import type { RunningSimulator, SimOrg, SimUser } from "../../src/simulator/index.ts";

/** Simulated time runs this much faster than real time in crawl tests. */
export const TIME_SCALE = 60;

export async function crawlSimulator(
  db: Kysely<Database>,
  sim: RunningSimulator,
  strategy: CrawlStrategy,
  options: {
    orgIndex?: number;
    crossCheckSample?: number;
    maxAttempts?: number;
    /** Talk to the simulator through this URL (a proxy) instead. */
    baseUrl?: string;
    clock?: Clock;
    log?: Logger;
    /** More crawl options (restart, leases, database retry…). */
    crawl?: Partial<CrawlOrgOptions>;
    /** Per-attempt HTTP timeout of the client. */
    timeoutMs?: number;
    /** Told of every HTTP attempt, in order. */
    onRequest?: (event: RequestEvent) => void;
  } = {},
): Promise<CrawlOrgResult> {
  const org = sim.orgs[options.orgIndex ?? 0]!;
  const meter = new RequestMeter();
  const lastActivePerMinute = 200 * TIME_SCALE;
  const client = createAtlassianClient({
    apiKey: org.apiKey,
    baseUrl: options.baseUrl ?? sim.url,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    rateLimits: { lastActivePerMinute, defaultPerMinute: 1000 * TIME_SCALE },
    retry: {
      baseDelayMs: 20,
      maxDelayMs: 500,
      maxAttempts: options.maxAttempts ?? 8,
      serverErrorAttempts: options.maxAttempts ?? 6,
    },
    onRequest: (event) => {
      meter.record(event);
      options.onRequest?.(event);
    },
  });
  return crawlOrg(
    {
      db,
      client,
      meter,
      clock: options.clock ?? systemClock,
      log: options.log ?? silentLogger,
      databaseLocation: "the test database",
    },
    {
      orgId: org.id,
      strategy,
      concurrency: 8,
      crossCheckSample: options.crossCheckSample ?? 10,
      lastActivePerMinute,
      ...options.crawl,
    },
  );
}

function membershipStatus(u: SimUser): string {
  const states = Object.values(u.memberships);
  if (states.length === 0) return "no_membership";
  return states.includes("active") ? "active" : "suspended";
}

/** Second precision: last-active-dates gives seconds, v2 search nanoseconds. */
const seconds = (d: Date | string | null) =>
  d === null ? null : new Date(Math.floor(new Date(d).getTime() / 1000) * 1000).toISOString();

export interface ExpectOptions {
  /** Accounts whose reads failed: their activity must not have been written. */
  failed?: string[];
  /** Accounts whose v2 records left these fields out: they must be stored as null. */
  withheld?: { accountIds: string[]; fields: ("name" | "account_type" | "membership_status")[] };
}

/** Asserts that the stored users, groups and per-product activity equal the simulator's. */
export async function expectDatabaseMatchesOrg(
  db: Kysely<Database>,
  org: SimOrg,
  options: ExpectOptions = {},
): Promise<void> {
  const failed = new Set(options.failed ?? []);
  // What a v2 crawl can see: people (apps and customers are not v2 directory users) who are
  // members of a directory or managed by the org.
  const visible = org.users.filter(
    (u) =>
      u.accountType === "atlassian" &&
      (Object.keys(u.memberships).length > 0 || u.claimStatus === "managed"),
  );
  const users = await db
    .selectFrom("users")
    .selectAll()
    .where("org_id", "=", org.id)
    .where("removed_at", "is", null)
    .orderBy("account_id")
    .execute();
  const withheld = new Set(options.withheld?.accountIds ?? []);
  const expectedUsers = visible
    .map((u) => ({
      account_id: u.accountId,
      email: u.email,
      name: u.name,
      account_type: u.accountType,
      account_status: u.accountStatus,
      membership_status: membershipStatus(u),
      claim_status: u.claimStatus,
      management_source: u.managementSource,
      platform_roles: [...u.platformRoles].sort(),
      added_to_org: new Date(u.addedToOrg).toISOString(),
    }))
    .map((u) =>
      withheld.has(u.account_id)
        ? { ...u, ...Object.fromEntries((options.withheld?.fields ?? []).map((f) => [f, null])) }
        : u,
    )
    .sort((a, b) => (a.account_id < b.account_id ? -1 : 1));
  expect(
    users.map((u) => ({
      account_id: u.account_id,
      email: u.email,
      name: u.name,
      account_type: u.account_type,
      account_status: u.account_status,
      membership_status: u.membership_status,
      claim_status: u.claim_status,
      management_source: u.management_source,
      platform_roles: [...u.platform_roles].sort(),
      added_to_org: u.added_to_org?.toISOString(),
    })),
  ).toEqual(expectedUsers);

  const groupsById = new Map(org.groups.map((g) => [g.id, g]));
  const workspaceById = new Map(org.workspaces.map((w) => [w.id, w]));
  const expectedActivity: string[] = [];
  for (const u of visible) {
    if (failed.has(u.accountId)) continue;
    const used = new Set<string>();
    for (const a of u.activity) {
      used.add(a.workspaceId);
      const ws = workspaceById.get(a.workspaceId)!;
      expectedActivity.push(
        `${u.accountId} ${ws.key} ${a.workspaceId} ${seconds(a.lastActiveAt)} ${a.lastActiveAt.slice(0, 10)}`,
      );
    }
    const granted = new Set<string>();
    for (const gid of u.groupIds) {
      for (const role of groupsById.get(gid)?.roles ?? []) granted.add(role.resourceId);
    }
    // Seats held directly count too (customer roles are not seats).
    for (const role of u.directRoles) {
      if (!/customer/i.test(role.role)) granted.add(role.resourceId);
    }
    for (const resourceId of granted) {
      if (used.has(resourceId)) continue;
      expectedActivity.push(
        `${u.accountId} ${workspaceById.get(resourceId)!.key} ${resourceId} null null`,
      );
    }
  }
  const rows = await db
    .selectFrom("user_products")
    .innerJoin("users", (j) =>
      j
        .onRef("users.org_id", "=", "user_products.org_id")
        .onRef("users.account_id", "=", "user_products.account_id"),
    )
    .select([
      "user_products.account_id",
      "product_key",
      "resource_id",
      "last_active_at",
      "last_active_date",
    ])
    .where("user_products.org_id", "=", org.id)
    .where("users.removed_at", "is", null)
    .execute();
  const actual = rows.map(
    (r) =>
      `${r.account_id} ${r.product_key} ${r.resource_id} ${seconds(r.last_active_at)} ${r.last_active_date}`,
  );
  expect(actual.sort()).toEqual(expectedActivity.sort());

  for (const accountId of failed) {
    const stored = rows.filter((r) => r.account_id === accountId);
    expect(stored, `failed user ${accountId} must not be stored as inactive`).toEqual([]);
  }

  const memberships = await db
    .selectFrom("user_groups")
    .select(["account_id", "group_id"])
    .where("org_id", "=", org.id)
    .execute();
  const expectedMemberships = visible.flatMap((u) => u.groupIds.map((g) => `${u.accountId} ${g}`));
  expect(memberships.map((m) => `${m.account_id} ${m.group_id}`).sort()).toEqual(
    expectedMemberships.sort(),
  );
}

/** A logger that keeps every line (level and message), for tests that read what a user sees. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => {
    lines.push(`${level}: ${message}`);
  };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
