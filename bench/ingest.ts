/**
 * Ingest benchmark: how fast the users walk stores what it reads, against the plain way of
 * storing the same rows, and how much of the walk's time is the API's when the API is slow.
 *
 * 1. Storage, side by side and interleaved (--repeat rounds), on one backend:
 *    - baseline: the same rows (users, memberships, activity) as plain multi-row INSERTs into
 *      the same tables (same indexes and constraints) under a second org, 100 users per
 *      transaction — what a hand-written script does;
 *    - first:  Reclaim's page transaction (storeUsersPage, as the walk runs it) into empty tables;
 *    - again:  the same pages stored again by a later run (an unchanged org: changes only).
 *    The rows are the org as a bulk crawl stored it, read back and cut into pages of 100.
 * 2. Re-crawl: a whole bulk crawl of the unchanged org against the first crawl.
 * 3. Latency: with --latency-ms per API request, the crawl's users phase against walking
 *    the same pages without storing anything (the API-only time): storing overlaps fetching.
 *
 *   npx tsx bench/ingest.ts [--users 20000] [--repeat 3] [--latency-ms 150] [--latency-users 5000]
 * PGlite in memory, or DATABASE_URL (its schema is dropped and migrated afresh: use a scratch DB).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { parseArgs } from "node:util";
import type { Kysely } from "kysely";
import { countUsers, createAtlassianClient, searchUserPages } from "../src/atlassian/index.ts";
import type { CrawlProgress } from "../src/crawl/context.ts";
import { crawlOrg } from "../src/crawl/crawl-org.ts";
import { RequestMeter } from "../src/crawl/metrics.ts";
import { storeUsersPage } from "../src/crawl/phases/users.ts";
import { openDatabase } from "../src/db/connect.ts";
import { migrateDownAll, migrateToLatest } from "../src/db/migrate.ts";
import { insertRunningRun } from "../src/db/repositories/crawl-runs.repository.ts";
import {
  activityRow,
  userRow,
  type UserInput,
} from "../src/db/repositories/org-data.repository.ts";
import type { Database } from "../src/db/schema.ts";
import { systemClock } from "../src/shared/clock.ts";
import { silentLogger } from "../src/shared/log.ts";
import { startSimulator } from "../src/simulator/index.ts";

const { values } = parseArgs({
  options: {
    users: { type: "string", default: "20000" },
    repeat: { type: "string", default: "3" },
    "latency-ms": { type: "string", default: "150" },
    "latency-users": { type: "string", default: "5000" },
  },
});
const USERS = Number(values.users);
const REPEAT = Number(values.repeat);
const LATENCY_MS = Number(values["latency-ms"]);
const LATENCY_USERS = Number(values["latency-users"]);
const backend = process.env.DATABASE_URL ? "Postgres" : "PGlite";

type Db = Kysely<Database>;

async function freshDatabase() {
  const database = await openDatabase({
    databaseUrl: process.env.DATABASE_URL,
    dataDir: "memory://",
  });
  if (process.env.DATABASE_URL) await migrateDownAll(database.db);
  await migrateToLatest(database.db);
  return database;
}

/** A bulk crawl; returns its wall time and the users phase's (first to last progress event). */
async function crawl(db: Db, sim: { apiKey: string; url: string }) {
  const client = createAtlassianClient({
    apiKey: sim.apiKey,
    baseUrl: sim.url,
    maxConcurrency: 16,
    rateLimits: { lastActivePerMinute: 100_000, defaultPerMinute: 100_000 },
  });
  const phases = new Map<string, { first: number; last: number }>();
  const onProgress = (p: CrawlProgress) => {
    const now = performance.now();
    const seen = phases.get(p.phase);
    if (seen) seen.last = now;
    else phases.set(p.phase, { first: now, last: now });
  };
  const started = performance.now();
  const result = await crawlOrg(
    { db, client, meter: new RequestMeter(), clock: systemClock, log: silentLogger },
    {
      strategy: "bulk",
      concurrency: 16,
      crossCheckSample: 0,
      lastActivePerMinute: 100_000,
      onProgress,
    },
  );
  if (result.status !== "succeeded") throw new Error(`crawl ${result.status}: ${result.error}`);
  const users = phases.get("users")!;
  return { ms: performance.now() - started, usersPhaseMs: users.last - users.first, result };
}

/** The org as stored, cut into pages of 100 users as the walk stores them. */
async function storedPages(db: Db, orgId: string): Promise<UserInput[][]> {
  const users = await db
    .selectFrom("users")
    .selectAll()
    .where("org_id", "=", orgId)
    .orderBy("account_id")
    .execute();
  const groups = await db
    .selectFrom("user_groups")
    .select(["account_id", "group_id"])
    .where("org_id", "=", orgId)
    .execute();
  const activity = await db
    .selectFrom("user_products")
    .selectAll()
    .where("org_id", "=", orgId)
    .where("source", "<>", "grant")
    .execute();
  const groupsOf = groupBy(groups, (g) => g.account_id);
  const activityOf = groupBy(activity, (a) => a.account_id);
  const inputs: UserInput[] = users.map((u) => ({
    accountId: u.account_id,
    email: u.email,
    name: u.name,
    accountType: u.account_type,
    accountStatus: u.account_status,
    membershipStatus: u.membership_status,
    status: u.status,
    claimStatus: u.claim_status,
    managementSource: u.management_source,
    platformRoles: u.platform_roles,
    mfaEnabled: u.mfa_enabled,
    addedToOrg: u.added_to_org,
    groupIds: (groupsOf.get(u.account_id) ?? []).map((g) => g.group_id),
    products: (activityOf.get(u.account_id) ?? []).map((a) => ({
      productKey: a.product_key,
      resourceId: a.resource_id,
      lastActiveAt: a.last_active_at,
      lastActiveDate: a.last_active_date,
    })),
  }));
  const pages: UserInput[][] = [];
  for (let i = 0; i < inputs.length; i += 100) pages.push(inputs.slice(i, i + 100));
  return pages;
}

/** Reclaim's page transaction for every page, under a run of its own. */
async function storeLikeTheWalk(db: Db, orgId: string, pages: UserInput[][]): Promise<number> {
  await db
    .updateTable("crawl_runs")
    .set({ status: "succeeded" })
    .where("status", "=", "running")
    .execute();
  const run = await insertRunningRun(db, {
    orgId,
    strategy: "bulk",
    at: new Date(),
    checkpoint: {},
  });
  const started = performance.now();
  let n = 0;
  for (const users of pages) {
    n++;
    await storeUsersPage(db, orgId, run!.run_id, {
      at: new Date(),
      users,
      discovered: [],
      checks: {},
      rejected: [],
      checkpoint: { usersPages: n, usersCursor: `cursor-${n}` } as never,
    });
  }
  return performance.now() - started;
}

/** The plain way: three multi-row INSERTs per page of 100 users, one transaction each. */
async function storePlainly(db: Db, pages: UserInput[][]): Promise<number> {
  const orgId = PLAIN_ORG;
  await db.deleteFrom("users").where("org_id", "=", orgId).execute();
  const started = performance.now();
  for (const users of pages) {
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto("users")
        .values(users.map((u) => userRow(orgId, 1, new Date(), u)))
        .execute();
      const memberships = users.flatMap((u) =>
        (u.groupIds ?? []).map((group_id) => ({
          org_id: orgId,
          account_id: u.accountId,
          group_id,
        })),
      );
      if (memberships.length > 0) await trx.insertInto("user_groups").values(memberships).execute();
      const activity = users.flatMap((u) =>
        (u.products ?? []).map((p) => activityRow(orgId, 1, new Date(), "bulk", u.accountId, p)),
      );
      if (activity.length > 0) await trx.insertInto("user_products").values(activity).execute();
    });
  }
  return performance.now() - started;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const list = out.get(key(item));
    if (list) list.push(item);
    else out.set(key(item), [item]);
  }
  return out;
}

/** The baseline's rows live under an org of their own, in the same tables. */
const PLAIN_ORG = "plain-insert-baseline";

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

console.log(`ingest benchmark on ${backend}: ${USERS} users, ${REPEAT} interleaved rounds`);
{
  const sim = await startSimulator({ orgs: [{ users: USERS, seed: "ingest" }] });
  const database = await freshDatabase();
  const db = database.db;
  const first = await crawl(db, sim);
  const again = await crawl(db, sim);
  const orgId = first.result.orgId;
  const pages = await storedPages(db, orgId);
  const users = pages.reduce((n, p) => n + p.length, 0);
  const rows = pages.reduce(
    (n, p) =>
      n + p.reduce((m, u) => m + 1 + (u.groupIds?.length ?? 0) + (u.products?.length ?? 0), 0),
    0,
  );
  console.log(
    `crawl (bulk, whole): first ${fmt(first.ms)} ms, re-crawl of the unchanged org ${fmt(again.ms)} ms: re-crawl/first = ${(again.ms / first.ms).toFixed(2)} (goal ≤ 0.5)`,
  );
  console.log(
    `storage: ${users} users in ${pages.length} pages, ${rows} rows (users + memberships + activity)`,
  );
  await db.insertInto("orgs").values({ org_id: PLAIN_ORG, name: "baseline" }).execute();
  const results = { baseline: [] as number[], first: [] as number[], again: [] as number[] };
  for (let round = 1; round <= REPEAT; round++) {
    results.baseline.push(await storePlainly(db, pages));
    await db.deleteFrom("users").where("org_id", "=", orgId).execute(); // cascades
    results.first.push(await storeLikeTheWalk(db, orgId, pages));
    results.again.push(await storeLikeTheWalk(db, orgId, pages));
    const perSecond = (ms: number) => fmt(users / (ms / 1000));
    console.log(
      `  round ${round}: plain INSERT ${perSecond(results.baseline.at(-1)!)} users/s | Reclaim first ${perSecond(results.first.at(-1)!)} users/s (${(results.baseline.at(-1)! / results.first.at(-1)!).toFixed(2)}×) | Reclaim again (unchanged) ${perSecond(results.again.at(-1)!)} users/s (${(results.baseline.at(-1)! / results.again.at(-1)!).toFixed(2)}×)`,
    );
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    `storage, median of ${REPEAT}: Reclaim/plain INSERT = ${(median(results.baseline) / median(results.first)).toFixed(2)} first, ${(median(results.baseline) / median(results.again)).toFixed(2)} unchanged (goal ≥ 0.8)`,
  );
  await database.close();
  await sim.close();
}

/**
 * The simulator in a process of its own, as the real API is: an in-process one could not
 * answer while PGlite (which runs on this thread) stores a page, and would hide the overlap.
 */
async function simulatorProcess(users: number, latencyMs: number) {
  const child = spawn(
    process.execPath,
    [
      "bin/reclaim.js",
      "simulator",
      "--port",
      "0",
      "--users",
      String(users),
      "--seed",
      "ingest-latency",
      "--latency-ms",
      String(latencyMs),
      "--rate-limit",
      "100000",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  for await (const chunk of child.stdout) {
    out += String(chunk);
    if (out.includes("Press Ctrl+C")) break;
  }
  const field = (re: RegExp) => re.exec(out)?.[1] ?? "";
  return {
    url: field(/listening on (\S+)/),
    orgId: field(/org id:\s+(\S+)/),
    apiKey: field(/API key:\s+(\S+)/),
    close: async () => {
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

if (LATENCY_MS > 0) {
  const sim = await simulatorProcess(LATENCY_USERS, LATENCY_MS);
  const database = await freshDatabase();
  const { usersPhaseMs, result } = await crawl(database.db, sim);
  const client = createAtlassianClient({
    apiKey: sim.apiKey,
    baseUrl: sim.url,
    maxConcurrency: 16,
    rateLimits: { lastActivePerMinute: 100_000, defaultPerMinute: 100_000 },
  });
  // The users phase's clock starts after its count: so does this one.
  await countUsers(client, { orgId: result.orgId });
  const started = performance.now();
  let pages = 0;
  for await (const page of searchUserPages(client, {
    orgId: result.orgId,
    expand: ["productAccess", "groups", "platformRoles", "counts.resources"],
    limit: 100,
  })) {
    pages += page.items.length > 0 ? 1 : 0;
  }
  const apiOnlyMs = performance.now() - started;
  console.log(
    `latency ${LATENCY_MS} ms per request, ${result.users} users (${pages} pages): users phase ${fmt(usersPhaseMs)} ms, walking the same pages without storing ${fmt(apiOnlyMs)} ms: ${(usersPhaseMs / apiOnlyMs).toFixed(3)}× the API-only time (goal ≤ 1.05)`,
  );
  await database.close();
  await sim.close();
}
