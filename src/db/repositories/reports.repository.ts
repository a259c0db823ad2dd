/**
 * Reads for the dormant-account workbook. Everything is scoped to stored data of one org as of
 * one succeeded crawl: the latest one reads the current tables (users, user_products); a past
 * one reads the history versions valid at that run (see history.repository.ts), so a past
 * week's report can be rebuilt. Dormant users are read in keyset batches by account id so the
 * workbook never holds a whole org in memory (PGlite cannot stream a cursor).
 */
import { sql, type Kysely, type Selectable } from "kysely";
import type { Database, UserProductsTable, UsersTable } from "../schema.ts";
import { VERSIONED_USER_FIELDS } from "./history.repository.ts";

export interface SucceededRun {
  runId: number;
  orgId: string;
  orgName: string | null;
  finishedAt: Date;
}

/** The latest succeeded crawl per org (optionally one org), ordered by org id. */
export async function latestSucceededRuns(
  db: Kysely<Database>,
  orgId?: string,
): Promise<SucceededRun[]> {
  let query = db
    .selectFrom("crawl_runs as r")
    .leftJoin("orgs as o", "o.org_id", "r.org_id")
    .select(["r.run_id", "r.org_id", "o.name", "r.finished_at"])
    .where("r.status", "=", "succeeded")
    .where("r.finished_at", "is not", null)
    .orderBy("r.org_id")
    .orderBy("r.finished_at", "desc")
    .orderBy("r.run_id", "desc");
  if (orgId !== undefined) query = query.where("r.org_id", "=", orgId);
  const rows = await query.execute();
  const seen = new Set<string>();
  const out: SucceededRun[] = [];
  for (const r of rows) {
    if (seen.has(r.org_id) || r.finished_at === null) continue;
    seen.add(r.org_id);
    out.push({
      runId: Number(r.run_id),
      orgId: r.org_id,
      orgName: r.name ?? null,
      finishedAt: new Date(r.finished_at),
    });
  }
  return out;
}

/** One succeeded crawl run of an org by id, or null when there is no such succeeded run. */
export async function succeededRun(
  db: Kysely<Database>,
  runId: number,
): Promise<SucceededRun | null> {
  const r = await db
    .selectFrom("crawl_runs as r")
    .leftJoin("orgs as o", "o.org_id", "r.org_id")
    .select(["r.run_id", "r.org_id", "o.name", "r.finished_at"])
    .where("r.run_id", "=", runId)
    .where("r.status", "=", "succeeded")
    .where("r.finished_at", "is not", null)
    .executeTakeFirst();
  if (r === undefined || r.finished_at === null) return null;
  return {
    runId: Number(r.run_id),
    orgId: r.org_id,
    orgName: r.name ?? null,
    finishedAt: new Date(r.finished_at),
  };
}

/** Cut-off instants derived from the data time and the config thresholds. */
export interface ReportWindow {
  orgId: string;
  /** Read the history as of this past run; null reads the current tables (the latest run). */
  historyRunId: number | null;
  asOf: Date;
  /** Seats last active at or before this instant (or never) are dormant. */
  dormantBefore: Date;
  /** Users added to the org after this instant are in their grace period. */
  graceAfter: Date;
  /** Activity windows: seats active after `since` count as active within `days`. */
  windows: { days: number; since: Date }[];
}

export interface ProductStatsRow {
  productKey: string;
  resourceId: string;
  name: string | null;
  siteUrl: string | null;
  seats: number;
  activeWithin: Record<string, number>;
  neverActive: number;
  dormant: number;
  /** Dormant seats if the threshold were each window's days (grace users excluded). */
  dormantAt: Record<string, number>;
}

/** A user's attributes as the report sees them, from the current table or a past version. */
type UserState = Pick<
  Selectable<UsersTable>,
  "org_id" | "account_id" | (typeof VERSIONED_USER_FIELDS)[number]
> & { removed: boolean };

/** A user's access to one product and last activity in it. */
type ProductState = Pick<
  Selectable<UserProductsTable>,
  "org_id" | "account_id" | "product_key" | "resource_id" | "last_active_at"
>;

const USER_COLUMNS = sql.join(
  ["org_id", "account_id", ...VERSIONED_USER_FIELDS].map((f) => sql.ref(f)),
);

/** Versions valid at run R: opened at or before R and not closed by R. */
function validAt(runId: number) {
  return sql`valid_from_run_id <= ${runId} and (valid_to_run_id is null or valid_to_run_id > ${runId})`;
}

/** The org's users as of the window's run, aliased `u`. */
function usersAt(w: ReportWindow) {
  const rows =
    w.historyRunId === null
      ? sql<UserState>`(select ${USER_COLUMNS}, removed_at is not null as removed
          from users where org_id = ${w.orgId})`
      : sql<UserState>`(select ${USER_COLUMNS}, removed from user_versions
          where org_id = ${w.orgId} and ${validAt(w.historyRunId)})`;
  return rows.as("u");
}

/** The org's per-product access and activity as of the window's run, aliased `alias`. */
function productsAt<A extends string>(w: ReportWindow, alias: A) {
  const rows =
    w.historyRunId === null
      ? sql<ProductState>`(select org_id, account_id, product_key, resource_id, last_active_at
          from user_products where org_id = ${w.orgId})`
      : sql<ProductState>`(select org_id, account_id, product_key, resource_id, last_active_at
          from user_product_versions where org_id = ${w.orgId} and ${validAt(w.historyRunId)})`;
  return rows.as(alias);
}

const BILLABLE = sql<boolean>`not u.removed and u.membership_status = 'active' and u.account_type = 'atlassian'`;

/** Per product (and site): billable seats, activity windows, dormant and never-active seats. */
export async function productStats(
  db: Kysely<Database>,
  w: ReportWindow,
): Promise<ProductStatsRow[]> {
  const notGrace = sql<boolean>`(u.added_to_org is null or u.added_to_org <= ${w.graceAfter})`;
  const rows = await db
    .selectFrom("products as p")
    .leftJoin(
      (eb) =>
        eb
          .selectFrom(productsAt(w, "up"))
          .innerJoin(usersAt(w), (j) =>
            j.onRef("u.org_id", "=", "up.org_id").onRef("u.account_id", "=", "up.account_id"),
          )
          .where(BILLABLE)
          .select(["up.product_key", "up.resource_id"])
          .select(sql<number>`count(*)`.as("seats"))
          .select(sql<number>`count(*) filter (where up.last_active_at is null)`.as("never"))
          .select(
            sql<number>`count(*) filter (where (up.last_active_at is null or up.last_active_at <= ${w.dormantBefore}) and ${notGrace})`.as(
              "dormant",
            ),
          )
          .select(
            w.windows.map((win) =>
              sql<number>`count(*) filter (where up.last_active_at > ${win.since})`.as(
                `a_${win.days}`,
              ),
            ),
          )
          .select(
            w.windows.map((win) =>
              sql<number>`count(*) filter (where (up.last_active_at is null or up.last_active_at <= ${win.since}) and ${notGrace})`.as(
                `d_${win.days}`,
              ),
            ),
          )
          .groupBy(["up.product_key", "up.resource_id"])
          .as("s"),
      (j) =>
        j.onRef("s.product_key", "=", "p.product_key").onRef("s.resource_id", "=", "p.resource_id"),
    )
    .where("p.org_id", "=", w.orgId)
    .selectAll("s")
    .select(["p.product_key as pk", "p.resource_id as rid", "p.name", "p.site_url"])
    .orderBy("p.product_key")
    .orderBy("p.resource_id")
    .execute();
  return rows.map((r) => {
    const rec = r as unknown as Record<string, unknown>;
    const n = (k: string) => Number(rec[k] ?? 0);
    return {
      productKey: String(rec.pk),
      resourceId: String(rec.rid),
      name: (rec.name as string | null) ?? null,
      siteUrl: (rec.site_url as string | null) ?? null,
      seats: n("seats"),
      neverActive: n("never"),
      dormant: n("dormant"),
      activeWithin: Object.fromEntries(
        w.windows.map((win) => [String(win.days), n(`a_${win.days}`)]),
      ),
      dormantAt: Object.fromEntries(w.windows.map((win) => [String(win.days), n(`d_${win.days}`)])),
    };
  });
}

export interface OrgTotals {
  users: number;
}

/** Users still in the org. */
export async function orgTotals(db: Kysely<Database>, w: ReportWindow): Promise<OrgTotals> {
  const row = await db
    .selectFrom(usersAt(w))
    .where("u.removed", "=", false)
    .select(sql<number>`count(*)`.as("n"))
    .executeTakeFirst();
  return { users: Number(row?.n ?? 0) };
}

export interface DormantUserRow {
  accountId: string;
  email: string | null;
  name: string | null;
  accountType: string | null;
  accountStatus: string | null;
  membershipStatus: string | null;
  status: string | null;
  claimStatus: string | null;
  managementSource: string | null;
  platformRoles: string[];
  addedToOrg: Date | null;
  products: {
    productKey: string;
    resourceId: string;
    lastActiveAt: Date | null;
  }[];
  /** Groups that grant a role on one of the user's products. */
  grants: {
    groupName: string;
    groupManagementSource: string | null;
    productKey: string | null;
    resourceId: string;
    role: string;
  }[];
}

/**
 * Billable users dormant in at least one product, after `after` in account-id order. The
 * bound is repeated inside the EXISTS so both index scans start at it: each keyset batch then
 * costs the same however far into the org it is, instead of rescanning from the start.
 */
function dormantUsersQuery(db: Kysely<Database>, w: ReportWindow, after: string | null = null) {
  let query = db
    .selectFrom(usersAt(w))
    .where(BILLABLE)
    .where((eb) => {
      let dormant = eb
        .selectFrom(productsAt(w, "d"))
        .select(sql`1`.as("one"))
        .whereRef("d.org_id", "=", "u.org_id")
        .whereRef("d.account_id", "=", "u.account_id")
        .where((e) =>
          e.or([e("d.last_active_at", "is", null), e("d.last_active_at", "<=", w.dormantBefore)]),
        );
      if (after !== null) dormant = dormant.where("d.account_id", ">", after);
      return eb.exists(dormant);
    });
  if (after !== null) query = query.where("u.account_id", ">", after);
  return query;
}

/** Rows of the Dormant accounts sheet: billable users dormant in at least one product. */
export async function dormantUserCount(db: Kysely<Database>, w: ReportWindow): Promise<number> {
  const row = await dormantUsersQuery(db, w)
    .select(sql<number>`count(*)`.as("n"))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * One keyset batch of billable users dormant in at least one product (grace-period users
 * included: their row says to leave them), with their products and billing groups.
 */
export async function dormantUsersBatch(
  db: Kysely<Database>,
  w: ReportWindow,
  after: string | null,
  limit: number,
): Promise<DormantUserRow[]> {
  const users = await dormantUsersQuery(db, w, after)
    .select([
      "u.account_id",
      "u.email",
      "u.name",
      "u.account_type",
      "u.account_status",
      "u.membership_status",
      "u.status",
      "u.claim_status",
      "u.management_source",
      "u.platform_roles",
      "u.added_to_org",
    ])
    .orderBy("u.account_id")
    .limit(limit)
    .execute();
  if (users.length === 0) return [];
  const ids = users.map((u) => u.account_id);
  const [products, grants] = await Promise.all([
    db
      .selectFrom(productsAt(w, "p"))
      .where("p.account_id", "in", ids)
      .select(["p.account_id", "p.product_key", "p.resource_id", "p.last_active_at"])
      .orderBy("p.account_id")
      .orderBy("p.product_key")
      .execute(),
    db
      .selectFrom("user_groups as ug")
      .innerJoin("groups as g", (j) =>
        j.onRef("g.org_id", "=", "ug.org_id").onRef("g.group_id", "=", "ug.group_id"),
      )
      .innerJoin("group_grants as gg", (j) =>
        j.onRef("gg.org_id", "=", "ug.org_id").onRef("gg.group_id", "=", "ug.group_id"),
      )
      .where("ug.org_id", "=", w.orgId)
      .where("ug.account_id", "in", ids)
      .select([
        "ug.account_id",
        "g.name",
        "g.management_source",
        "gg.product_key",
        "gg.resource_id",
        "gg.role",
      ])
      .orderBy("ug.account_id")
      .orderBy("g.name")
      .execute(),
  ]);
  const byUser = new Map<string, DormantUserRow>();
  const out = users.map((u) => {
    const row: DormantUserRow = {
      accountId: u.account_id,
      email: u.email,
      name: u.name,
      accountType: u.account_type,
      accountStatus: u.account_status,
      membershipStatus: u.membership_status,
      status: u.status,
      claimStatus: u.claim_status,
      managementSource: u.management_source,
      platformRoles: Array.isArray(u.platform_roles) ? u.platform_roles.map(String) : [],
      addedToOrg: u.added_to_org === null ? null : new Date(u.added_to_org),
      products: [],
      grants: [],
    };
    byUser.set(u.account_id, row);
    return row;
  });
  for (const p of products) {
    byUser.get(p.account_id)?.products.push({
      productKey: p.product_key,
      resourceId: p.resource_id,
      lastActiveAt: p.last_active_at === null ? null : new Date(p.last_active_at),
    });
  }
  for (const g of grants) {
    byUser.get(g.account_id)?.grants.push({
      groupName: g.name,
      groupManagementSource: g.management_source,
      productKey: g.product_key,
      resourceId: g.resource_id,
      role: g.role,
    });
  }
  return out;
}

export interface TrendRow {
  runId: number;
  finishedAt: Date;
  productKey: string;
  resourceId: string;
  seats: number;
  active: Record<"30" | "60" | "90" | "180", number>;
  neverActive: number;
}

/** Per-product stats of every succeeded crawl of the org up to `upToRunId`, oldest first. */
export async function trendRows(
  db: Kysely<Database>,
  orgId: string,
  upToRunId: number,
): Promise<TrendRow[]> {
  const rows = await db
    .selectFrom("crawl_product_stats as s")
    .innerJoin("crawl_runs as r", "r.run_id", "s.run_id")
    .where("r.org_id", "=", orgId)
    .where("r.status", "=", "succeeded")
    .where("r.run_id", "<=", upToRunId)
    .where("r.finished_at", "is not", null)
    .select([
      "s.run_id",
      "r.finished_at",
      "s.product_key",
      "s.resource_id",
      "s.seats",
      "s.active_30",
      "s.active_60",
      "s.active_90",
      "s.active_180",
      "s.never_active",
    ])
    .orderBy("r.finished_at")
    .orderBy("s.run_id")
    .orderBy("s.product_key")
    .execute();
  return rows.map((r) => ({
    runId: Number(r.run_id),
    finishedAt: new Date(r.finished_at ?? 0),
    productKey: r.product_key,
    resourceId: r.resource_id,
    seats: Number(r.seats),
    active: {
      "30": Number(r.active_30),
      "60": Number(r.active_60),
      "90": Number(r.active_90),
      "180": Number(r.active_180),
    },
    neverActive: Number(r.never_active),
  }));
}

/**
 * Reserves a report id before the workbook that shows it is written; the report_runs row
 * itself is inserted only once the files are complete.
 */
export async function reserveReportId(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{
    id: number;
  }>`select nextval(pg_get_serial_sequence('report_runs', 'report_id')) as id`.execute(db);
  const id = rows[0]?.id;
  if (id === undefined) throw new Error("could not reserve a report id");
  return Number(id);
}

export interface NewReportRun {
  reportId: number;
  orgId: string;
  crawlRunId: number;
  generatedAt: Date;
  period: string;
  workbookPath: string;
  financeWorkbookPath: string | null;
  csvPath: string | null;
  summary: Record<string, unknown>;
}

export async function insertReportRun(db: Kysely<Database>, run: NewReportRun): Promise<number> {
  const row = await db
    .insertInto("report_runs")
    .values({
      report_id: run.reportId,
      org_id: run.orgId,
      crawl_run_id: run.crawlRunId,
      generated_at: run.generatedAt,
      period: run.period,
      workbook_path: run.workbookPath,
      finance_workbook_path: run.financeWorkbookPath,
      csv_path: run.csvPath,
      summary: JSON.stringify(run.summary),
    })
    .returning("report_id")
    .executeTakeFirstOrThrow();
  return Number(row.report_id);
}
