/**
 * Plans of the statements whose cost grows with the org: the finalise statements (first crawl
 * and a re-crawl) and the report's queries, on an org of 20k users. A nested loop whose inner
 * side scans a whole big table runs that scan once per outer row — quadratic in the org
 * (32 s at 5k users before the finalise statistics were refreshed first). The statements are
 * the ones production compiles (finaliseStatements, reportStatements), EXPLAINed one by one
 * in the state production runs them: statistics refreshed as finalise does, then each
 * statement explained and executed in turn inside the finalise transaction.
 *
 * The org is seeded with set-based INSERT … SELECT generate_series (a 20k-user crawl is too
 * slow for a test) in the shape a bulk crawl leaves: every user with groups and activity,
 * some with direct roles and role checks; the re-crawl changes some users, activity and
 * groups, and loses 1% of the users.
 */
import { CompiledQuery, sql, type Kysely } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import { finaliseStatements } from "../../../src/crawl/phases/finalise.ts";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import {
  refreshPlannerStatistics,
  refreshStatisticsForFinalise,
} from "../../../src/db/repositories/org-data.repository.ts";
import {
  reportStatements,
  type ReportWindow,
} from "../../../src/db/repositories/reports.repository.ts";
import type { Database } from "../../../src/db/schema.ts";
import { runStatements, type Statement } from "../../../src/db/statement.ts";
import { activityWindow } from "../../../src/rules/index.ts";
import { describeEachBackend } from "../../helpers/database.ts";

const USERS = 20_000;
const GROUPS = 200;
const PRODUCTS = 10;
const ORG = "org-plans";

/**
 * Tables that grow with the org: never scanned whole once per row of another. The groups'
 * history tables are left out: an org has a few hundred groups to its thousands of users, and
 * the planner rightly scans their page or two per lookup until they grow (at 5,000 groups it
 * takes their primary keys).
 */
const BIG_TABLES = new Set([
  "users",
  "user_products",
  "user_groups",
  "group_grants",
  "user_versions",
  "user_product_versions",
  "user_group_versions",
  "crawl_user_checks",
]);

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  Alias?: string;
  "Parent Relationship"?: string;
  "Subplan Name"?: string;
  "Index Cond"?: string;
  "Recheck Cond"?: string;
  Plans?: PlanNode[];
}

function* walk(node: PlanNode): Generator<PlanNode> {
  yield node;
  for (const child of node.Plans ?? []) yield* walk(child);
}

/**
 * Scans of big tables in `side` (run once per row of something outside it) that read the
 * same rows every time: a sequential scan, or an index scan whose condition does not come
 * from the outside row (it names no alias outside `side`) — e.g. all of a group's members
 * for every user. An index scan keyed by the outside row is a lookup, linear overall.
 */
function rescans(side: PlanNode): string[] {
  const inside = new Set([...walk(side)].map((n) => n.Alias).filter(Boolean));
  const keyedByOutside = (n: PlanNode) => {
    const conds = [n, ...(n.Plans ?? [])].map((x) => `${x["Index Cond"] ?? ""}`).join(" ");
    return [...conds.matchAll(/\b([a-z_][a-z0-9_]*)\.[a-z_"]/g)].some((m) => !inside.has(m[1]));
  };
  return [...walk(side)]
    .filter((n) => BIG_TABLES.has(n["Relation Name"] ?? ""))
    .filter((n) => n["Node Type"] === "Seq Scan" || !keyedByOutside(n))
    .map((n) => `${n["Node Type"]} on ${n["Relation Name"]}`);
}

/**
 * Big tables read whole (or by a condition that does not depend on the row) once per row of
 * something else: in the inner side of a nested loop, or in a subplan run per row (a hashed
 * subplan runs once).
 */
function rescannedTables(plan: PlanNode): string[] {
  const out: string[] = [];
  for (const node of walk(plan)) {
    if (node["Node Type"] === "Nested Loop") {
      const inner = node.Plans?.find((p) => p["Parent Relationship"] === "Inner");
      if (inner) out.push(...rescans(inner).map((t) => `nested loop: ${t}`));
    }
    const subplan = node["Parent Relationship"] === "SubPlan";
    if (subplan && !(node["Subplan Name"] ?? "").startsWith("hashed")) {
      out.push(...rescans(node).map((t) => `subplan per row: ${t}`));
    }
  }
  return out;
}

/** EXPLAIN's JSON output for one statement (run too when `analyze`): its plan, its JIT. */
async function explainOutput(
  db: Kysely<Database>,
  query: CompiledQuery,
  analyze = false,
): Promise<{ Plan: PlanNode; JIT?: unknown }> {
  const options = analyze ? "analyze, format json" : "format json";
  const result = await db.executeQuery<{ "QUERY PLAN": unknown }>(
    CompiledQuery.raw(`explain (${options}) ${query.sql}`, [...query.parameters]),
  );
  const raw = result.rows[0]?.["QUERY PLAN"];
  const parsed = (typeof raw === "string" ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
  return parsed[0]!;
}

async function explain(db: Kysely<Database>, query: CompiledQuery): Promise<PlanNode> {
  return (await explainOutput(db, query)).Plan;
}

/** Explains each statement in turn, running it before explaining the next (as production does). */
async function explainInTurn(
  db: Kysely<Database>,
  statements: readonly Statement[],
  run: boolean,
): Promise<Record<string, string[]>> {
  const found: Record<string, string[]> = {};
  for (const s of statements) {
    const bad = rescannedTables(await explain(db, s.query));
    if (bad.length > 0) found[s.what] = bad;
    if (run) await db.executeQuery(s.query);
  }
  return found;
}

/** Finalises `runId` as finaliseRun does, explaining every statement before it runs. */
async function finaliseExplained(db: Kysely<Database>, runId: number) {
  const at = new Date();
  await refreshStatisticsForFinalise(db);
  const found = await db.transaction().execute(async (trx) => {
    const { settings, all } = finaliseStatements(trx, ORG, runId, at, "succeeded");
    expect(all.length).toBeGreaterThan(20);
    await runStatements(trx, settings);
    return explainInTurn(trx, all, true);
  });
  await sql`update crawl_runs set status = 'succeeded', finished_at = ${at}
    where run_id = ${runId}`.execute(db);
  await refreshPlannerStatistics(db);
  return found;
}

async function newRun(db: Kysely<Database>): Promise<number> {
  const now = new Date();
  const row = await db
    .insertInto("crawl_runs")
    .values({ org_id: ORG, strategy: "bulk", started_at: now, heartbeat_at: now })
    .returning("run_id")
    .executeTakeFirstOrThrow();
  return Number(row.run_id);
}

const account = (i: string) => sql.raw(`'acc-' || lpad((${i})::text, 6, '0')`);
const group = (i: string) => sql.raw(`'grp-' || lpad((${i})::text, 4, '0')`);
const resource = (i: string) => sql.raw(`'res-' || (${i})::text`);
const productKey = (i: string) => sql.raw(`(array['jira-software','confluence'])[1 + (${i}) % 2]`);

/** What a bulk crawl of the org stores before it finalises (run `runId`, the first one). */
async function seedFirstCrawl(db: Kysely<Database>, runId: number) {
  await sql`insert into products (org_id, product_key, resource_id, name, first_seen_run_id,
      last_seen_run_id)
    select ${ORG}, ${productKey("p")}, ${resource("p")}, 'Product ' || p, ${runId}, ${runId}
    from generate_series(1, ${PRODUCTS}) p`.execute(db);
  await sql`insert into groups (org_id, group_id, name, last_seen_run_id)
    select ${ORG}, ${group("g")}, 'Group ' || g, ${runId} from generate_series(0, ${GROUPS - 1}) g`.execute(
    db,
  );
  // Two grants a group (every 50th grants a role of no product: not a seat).
  await sql`insert into group_grants (org_id, group_id, resource_id, role, product_key)
    select distinct ${ORG}, ${group("g")}, ${resource("1 + (g * k) % " + PRODUCTS)}, 'user',
      case when g % 50 = 0 then null else ${productKey("1 + (g * k) % " + PRODUCTS)} end
    from generate_series(0, ${GROUPS - 1}) g, (values (1), (3)) k(k)`.execute(db);
  await sql`insert into users (org_id, account_id, email, name, account_type, account_status,
      membership_status, status, claim_status, platform_roles, added_to_org, first_seen_run_id,
      last_seen_run_id, updated_at)
    select ${ORG}, ${account("i")}, 'user' || i || '@example.com', 'User ' || i, 'atlassian',
      'active', 'active', 'active', 'managed', '[]'::jsonb,
      now() - make_interval(days => 10 + i % 900), ${runId}, ${runId}, now()
    from generate_series(1, ${USERS}) i`.execute(db);
  await sql`insert into user_groups (org_id, account_id, group_id)
    select distinct ${ORG}, ${account("i")}, ${group(`(i * k) % ${GROUPS}`)}
    from generate_series(1, ${USERS}) i, (values (1), (7), (13)) k(k)`.execute(db);
  // Activity on two products for 80% of the users; some of their grants stay unused.
  await sql`insert into user_products (org_id, account_id, product_key, resource_id,
      last_active_at, last_active_date, source, observed_at, run_id)
    select distinct on (i, 1 + (i + k) % ${PRODUCTS}) ${ORG}, ${account("i")},
      ${productKey(`1 + (i + k) % ${PRODUCTS}`)}, ${resource(`1 + (i + k) % ${PRODUCTS}`)},
      now() - make_interval(days => (i * k) % 400), (now() - make_interval(days => (i * k) % 400))::date,
      'bulk', now(), ${runId}
    from generate_series(1, ${USERS}) i, (values (0), (5)) k(k)
    where i % 5 <> 0`.execute(db);
  // 2% hold a seat directly, read by a role check of this run.
  await sql`insert into user_direct_roles (org_id, account_id, resource_id, role, product_key, run_id)
    select ${ORG}, ${account("i")}, ${resource("3")}, 'user', ${productKey("3")}, ${runId}
    from generate_series(1, ${USERS}) i where i % 50 = 0`.execute(db);
  await sql`insert into crawl_user_checks (run_id, account_id, purpose, state)
    select ${runId}::bigint, ${account("i")}, 'roles', 'done' from generate_series(1, ${USERS}) i
    where i % 50 = 0
    union all
    select ${runId}::bigint, ${account("i")}, 'sample', 'done' from generate_series(1, ${USERS}) i
    where i % 1000 = 1`.execute(db);
}

/** What a re-crawl stores before it finalises: 1% of users gone, some changed, one group gone. */
async function seedReCrawl(db: Kysely<Database>, runId: number) {
  await sql`update products set last_seen_run_id = ${runId} where org_id = ${ORG}`.execute(db);
  await sql`update groups set last_seen_run_id = ${runId}
    where org_id = ${ORG} and group_id <> ${group("7")}`.execute(db);
  await sql`update users set last_seen_run_id = ${runId},
      email = case when substr(account_id, 5)::int % 20 = 0 then 'new-' || email else email end
    where org_id = ${ORG} and substr(account_id, 5)::int % 100 <> 0`.execute(db);
  await sql`update user_products set run_id = ${runId}, observed_at = now(),
      last_active_at = case when substr(account_id, 5)::int % 10 = 0 then now() else last_active_at end
    where org_id = ${ORG} and source = 'bulk' and substr(account_id, 5)::int % 100 <> 0`.execute(
    db,
  );
  // The users phase replaces the activity of every user it reads, earlier grant rows included.
  await sql`delete from user_products where org_id = ${ORG} and run_id <> ${runId}
    and substr(account_id, 5)::int % 100 <> 0`.execute(db);
  await sql`update user_direct_roles set run_id = ${runId}
    where org_id = ${ORG} and substr(account_id, 5)::int % 100 <> 0`.execute(db);
  await sql`insert into crawl_user_checks (run_id, account_id, purpose, state)
    select ${runId}, account_id, 'roles', 'done' from user_direct_roles
    where org_id = ${ORG} and run_id = ${runId}`.execute(db);
}

describeEachBackend("query plans at 20k users", (backend) => {
  let database: ReclaimDatabase;
  let db: Kysely<Database>;
  const found: Record<string, Record<string, string[]>> = {};
  let window: ReportWindow;
  let firstWindow: ReportWindow;

  beforeAll(async () => {
    database = await backend.open();
    db = database.db;
    await db.insertInto("orgs").values({ org_id: ORG, name: "Plans" }).execute();
    const first = await newRun(db);
    await seedFirstCrawl(db, first);
    found["first crawl"] = await finaliseExplained(db, first);
    const again = await newRun(db);
    await seedReCrawl(db, again);
    found["re-crawl"] = await finaliseExplained(db, again);
    const rules = { dormantAfterDays: 90, newUserGraceDays: 30, thresholdsDays: [30, 60, 90, 180] };
    window = { ...activityWindow(new Date(), rules), orgId: ORG, runId: again };
    firstWindow = { ...activityWindow(new Date(), rules), orgId: ORG, runId: first };
  }, 150_000);

  afterAll(async () => {
    await database?.close();
  });

  it("seeds an org of the intended size, and finalise did its work", async () => {
    const count = async (q: string) =>
      Number((await sql<{ n: number }>`${sql.raw(q)}`.execute(db)).rows[0]?.n);
    expect(await count("select count(*) as n from users")).toBe(USERS);
    expect(await count("select count(*) as n from users where removed_at is not null")).toBe(
      USERS / 100,
    );
    expect(await count("select count(*) as n from user_groups")).toBeGreaterThan(2 * USERS);
    expect(
      await count("select count(*) as n from user_products where source = 'grant'"),
    ).toBeGreaterThan(USERS / 10);
    // One version a user, one more for each changed email (every 20th user, but for the
    // every 100th who is gone) and one for each user gone.
    expect(await count("select count(*) as n from user_versions")).toBe(
      USERS + (USERS / 20 - USERS / 100) + USERS / 100,
    );
  });

  it("no finalise statement rescans a big table per row, on a first crawl or a re-crawl", () => {
    expect(found).toEqual({ "first crawl": {}, "re-crawl": {} });
  });

  it("no report query pays for JIT compilation (on Postgres it cost ~0.5 s per statement)", async () => {
    const batch = { after: null, upTo: null, scan: 500 };
    for (const s of reportStatements(db, window, batch)) {
      const { JIT } = await explainOutput(db, s.query, true);
      expect({ what: s.what, jit: JIT }).toEqual({ what: s.what, jit: undefined });
    }
  });

  it("no report query rescans a big table per row (this run, and the trend's earlier run)", async () => {
    const ids = (
      await sql<{ account_id: string }>`select account_id from user_versions
        where org_id = ${ORG} and valid_to_run_id is null order by account_id limit 500`.execute(db)
    ).rows.map((r) => r.account_id);
    const batch = { after: null, upTo: ids[ids.length - 1]!, scan: 500 };
    const statements = [
      ...reportStatements(db, window, batch),
      ...reportStatements(db, firstWindow, batch).map((s) => ({ ...s, what: `trend: ${s.what}` })),
    ];
    expect(await explainInTurn(db, statements, false)).toEqual({});
  });
});
