/**
 * Reads for the dormant-account workbook (and the policy plan, which must select exactly what
 * the report shows). Everything is the state of one org as of one succeeded crawl, read from
 * the history versions valid at that run (history.repository.ts): what a later crawl does to
 * the current tables — even one that failed halfway — never changes it. The rules come from
 * src/rules. Dormant users are read in pages, each a range of the org's users by account id,
 * so the workbook never holds a whole org in memory (PGlite cannot stream a cursor).
 */
import { sql, type Kysely, type Selectable } from "kysely";
import { z } from "zod";
import { activitySql, billableSql, type ActivityWindow } from "../../rules/index.ts";
import { json } from "../json.ts";
import type { Database, ThresholdCounts, UserProductsTable, UsersTable } from "../schema.ts";
import type { Statement } from "../statement.ts";
import { VERSIONED_USER_FIELDS, validAt } from "./history.repository.ts";

type Db = Kysely<Database>;

export interface SucceededRun {
  runId: number;
  orgId: string;
  orgName: string | null;
  finishedAt: Date;
}

/** The latest succeeded crawl per org (optionally one org), ordered by org id. */
export async function latestSucceededRuns(db: Db, orgId?: string): Promise<SucceededRun[]> {
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
    out.push(toRun(r));
  }
  return out;
}

/** One succeeded crawl run by id, or null when there is no such succeeded run. */
export async function succeededRun(db: Db, runId: number): Promise<SucceededRun | null> {
  const r = await db
    .selectFrom("crawl_runs as r")
    .leftJoin("orgs as o", "o.org_id", "r.org_id")
    .select(["r.run_id", "r.org_id", "o.name", "r.finished_at"])
    .where("r.run_id", "=", runId)
    .where("r.status", "=", "succeeded")
    .where("r.finished_at", "is not", null)
    .executeTakeFirst();
  return r === undefined || r.finished_at === null ? null : toRun(r);
}

/** A crawl run's org and status, or null when there is no such run. */
export async function crawlRunStatus(
  db: Db,
  runId: number,
): Promise<{ orgId: string; status: string } | null> {
  const r = await db
    .selectFrom("crawl_runs")
    .select(["org_id", "status"])
    .where("run_id", "=", runId)
    .executeTakeFirst();
  return r === undefined ? null : { orgId: r.org_id, status: r.status };
}

/** Every org in the database, by id. */
export async function knownOrgs(db: Db): Promise<{ orgId: string; name: string | null }[]> {
  const rows = await db.selectFrom("orgs").select(["org_id", "name"]).orderBy("org_id").execute();
  return rows.map((r) => ({ orgId: r.org_id, name: r.name }));
}

/** Every succeeded crawl of the org up to `upToRunId`, oldest first. */
export async function succeededRunsUpTo(
  db: Db,
  orgId: string,
  upToRunId: number,
): Promise<SucceededRun[]> {
  const rows = await db
    .selectFrom("crawl_runs as r")
    .leftJoin("orgs as o", "o.org_id", "r.org_id")
    .select(["r.run_id", "r.org_id", "o.name", "r.finished_at"])
    .where("r.org_id", "=", orgId)
    .where("r.status", "=", "succeeded")
    .where("r.run_id", "<=", upToRunId)
    .where("r.finished_at", "is not", null)
    .orderBy("r.finished_at")
    .orderBy("r.run_id")
    .execute();
  return rows.map(toRun);
}

function toRun(r: {
  run_id: number;
  org_id: string;
  name: string | null;
  finished_at: Date | null;
}): SucceededRun {
  return {
    runId: Number(r.run_id),
    orgId: r.org_id,
    orgName: r.name ?? null,
    finishedAt: new Date(r.finished_at ?? 0),
  };
}

/** The state a report reads: one org as of one succeeded run, with the rules applied to it. */
export interface ReportWindow extends ActivityWindow {
  orgId: string;
  runId: number;
}

/** Seats of one product on one site, at every threshold of the window. */
export interface ProductStatsRow {
  productKey: string;
  resourceId: string;
  name: string | null;
  siteUrl: string | null;
  seats: number;
  neverActive: number;
  /** Keyed by threshold days (the window's thresholds and its dormant threshold). */
  byThreshold: Record<string, ThresholdCounts>;
}

/** A user's attributes as of the window's run. */
type UserState = Pick<
  Selectable<UsersTable>,
  "org_id" | "account_id" | (typeof VERSIONED_USER_FIELDS)[number]
> & { removed: boolean };

/** A user's access to one product and last activity in it, as of the window's run. */
type ProductState = Pick<
  Selectable<UserProductsTable>,
  "org_id" | "account_id" | "product_key" | "resource_id" | "last_active_at"
>;

const USER_COLUMNS = sql.join(
  ["org_id", "account_id", ...VERSIONED_USER_FIELDS, "removed"].map((f) => sql.ref(f)),
);

function usersAt(w: ReportWindow) {
  return sql<UserState>`(select ${USER_COLUMNS} from user_versions
    where org_id = ${w.orgId} and ${validAt(w.runId)})`.as("u");
}

function productsAt<A extends string>(w: ReportWindow, alias: A) {
  return sql<ProductState>`(select org_id, account_id, product_key, resource_id, last_active_at
    from user_product_versions where org_id = ${w.orgId} and ${validAt(w.runId)})`.as(alias);
}

/** The rules a window applies, as a stable key for the product_stats cache. */
export function rulesKey(w: ActivityWindow): string {
  return `dormant=${w.dormantAfterDays};grace=${w.newUserGraceDays};days=${w.windows.map((x) => x.days).join(",")}`;
}

const storedCounts = z.record(
  z.string(),
  z.object({ active: z.number(), grace: z.number(), dormant: z.number() }),
);

/**
 * Per product (and site): billable seats at the window's run, and at every threshold how many
 * are active, in their grace period and dormant. Computed once per (run, rules) and stored in
 * product_stats, so the trend of past runs is the same measure as this run's summary.
 */
export async function productStats(db: Db, w: ReportWindow): Promise<ProductStatsRow[]> {
  const key = rulesKey(w);
  let stored = await db
    .selectFrom("product_stats")
    .selectAll()
    .where("run_id", "=", w.runId)
    .where("rules_key", "=", key)
    .execute();
  if (stored.length === 0) {
    const computed = await computeProductStats(db, w);
    if (computed.length > 0) {
      await db
        .insertInto("product_stats")
        .values(
          computed.map((s) => ({
            run_id: w.runId,
            rules_key: key,
            product_key: s.productKey,
            resource_id: s.resourceId,
            seats: s.seats,
            never_active: s.neverActive,
            by_threshold: json(s.byThreshold),
          })),
        )
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
    stored = computed.map((s) => ({
      run_id: w.runId,
      rules_key: key,
      product_key: s.productKey,
      resource_id: s.resourceId,
      seats: s.seats,
      never_active: s.neverActive,
      by_threshold: s.byThreshold,
    }));
  }
  const products = await productCatalog(db, w);
  const info = new Map(products.map((p) => [`${p.productKey}\u0000${p.resourceId}`, p]));
  const zero = Object.fromEntries(
    w.windows.map((x) => [String(x.days), { active: 0, grace: 0, dormant: 0 }]),
  );
  const rows = new Map<string, ProductStatsRow>();
  for (const s of stored) {
    const id = `${s.product_key}\u0000${s.resource_id}`;
    const p = info.get(id);
    rows.set(id, {
      productKey: s.product_key,
      resourceId: s.resource_id,
      name: p?.name ?? null,
      siteUrl: p?.siteUrl ?? null,
      seats: Number(s.seats),
      neverActive: Number(s.never_active),
      byThreshold: storedCounts.parse(s.by_threshold),
    });
  }
  // Products the org had at that run with no billable seat still get a row (of zeros).
  for (const [id, p] of info) {
    if (rows.has(id)) continue;
    rows.set(id, {
      ...p,
      seats: 0,
      neverActive: 0,
      byThreshold: structuredClone(zero),
    });
  }
  return [...rows.values()].sort(byProduct);
}

/** A product instance of the org as the report names it. */
export interface CatalogProduct {
  productKey: string;
  resourceId: string;
  name: string | null;
  siteUrl: string | null;
}

const byProduct = (a: CatalogProduct, b: CatalogProduct) =>
  a.productKey.localeCompare(b.productKey) || a.resourceId.localeCompare(b.resourceId);

/**
 * The product instances the org had at the window's run, in the order every sheet lists them:
 * the rows of productStats (a product is recorded in the same transaction as the first
 * activity read of it, so no seat of the run is of a product missing here), known before the
 * statistics are, so the Dormant accounts sheet can start with its columns.
 */
export async function productCatalog(db: Db, w: ReportWindow): Promise<CatalogProduct[]> {
  const rows = await db
    .selectFrom("products")
    .select(["product_key", "resource_id", "name", "site_url"])
    .where("org_id", "=", w.orgId)
    .where((eb) =>
      eb.or([eb("first_seen_run_id", "is", null), eb("first_seen_run_id", "<=", w.runId)]),
    )
    .execute();
  return rows
    .map((p) => ({
      productKey: p.product_key,
      resourceId: p.resource_id,
      name: p.name,
      siteUrl: p.site_url,
    }))
    .sort(byProduct);
}

/** Per product: billable seats and, at every threshold, active / grace / dormant counts. */
function productStatsQuery(db: Db, w: ReportWindow) {
  const last = "up.last_active_at";
  const added = "u.added_to_org";
  const count = (condition: ReturnType<typeof sql<boolean>>) =>
    sql<number>`count(*) filter (where ${condition})`;
  return db
    .selectFrom(productsAt(w, "up"))
    .innerJoin(usersAt(w), (j) =>
      j.onRef("u.org_id", "=", "up.org_id").onRef("u.account_id", "=", "up.account_id"),
    )
    .where(billableSql("u"))
    .select(["up.product_key", "up.resource_id"])
    .select(sql<number>`count(*)`.as("seats"))
    .select(count(sql<boolean>`${sql.ref(last)} is null`).as("never"))
    .select(
      w.windows.flatMap((x) => [
        count(activitySql.isActiveSince(last, x.since)).as(`a_${x.days}`),
        count(activitySql.isGrace(last, added, w, x.days)).as(`g_${x.days}`),
        count(activitySql.isDormant(last, added, w, x.days)).as(`d_${x.days}`),
      ]),
    )
    .groupBy(["up.product_key", "up.resource_id"]);
}

async function computeProductStats(db: Db, w: ReportWindow) {
  const rows = await productStatsQuery(db, w).execute();
  return rows.map((r) => {
    const rec = r as unknown as Record<string, unknown>;
    const n = (k: string) => Number(rec[k] ?? 0);
    return {
      productKey: r.product_key,
      resourceId: r.resource_id,
      seats: n("seats"),
      neverActive: n("never"),
      byThreshold: Object.fromEntries(
        w.windows.map((x) => [
          String(x.days),
          { active: n(`a_${x.days}`), grace: n(`g_${x.days}`), dormant: n(`d_${x.days}`) },
        ]),
      ),
    };
  });
}

export interface OrgTotals {
  /** Users in the org at the run (not removed). */
  users: number;
  /** Billable users with at least one seat in the grace period. */
  graceUsers: number;
  /** Billable users with at least one dormant seat: the rows of the Dormant accounts sheet. */
  dormantUsers: number;
}

/** The org's totals at the run, in one pass over its users. */
export async function orgTotals(db: Db, w: ReportWindow): Promise<OrgTotals> {
  const row = await orgTotalsQuery(db, w).executeTakeFirst();
  return {
    users: Number(row?.n ?? 0),
    graceUsers: Number(row?.grace ?? 0),
    dormantUsers: Number(row?.dormant ?? 0),
  };
}

function orgTotalsQuery(db: Db, w: ReportWindow) {
  const billableWith = (seat: "grace" | "dormant") =>
    sql<number>`count(*) filter (where ${billableSql("u")} and ${hasSeat(db, w, seat)})`;
  return db
    .selectFrom(usersAt(w))
    .where("u.removed", "=", false)
    .select(sql<number>`count(*)`.as("n"))
    .select(billableWith("grace").as("grace"))
    .select(billableWith("dormant").as("dormant"));
}

/**
 * Whether user `u` had a seat in its grace period, or a dormant one, at the window's run
 * (bounded to the account range of a page when given, so the index scan starts there).
 */
function hasSeat(
  db: Db,
  w: ReportWindow,
  seat: "grace" | "dormant",
  after: string | null = null,
  upTo: string | null = null,
) {
  let query = db
    .selectFrom(productsAt(w, "s"))
    .select(sql`1`.as("one"))
    .where(sql<boolean>`s.org_id = u.org_id and s.account_id = u.account_id`)
    .where(
      seat === "grace"
        ? activitySql.isGrace("s.last_active_at", "u.added_to_org", w)
        : activitySql.isDormant("s.last_active_at", "u.added_to_org", w),
    );
  if (after !== null) query = query.where("s.account_id", ">", after);
  if (upTo !== null) query = query.where("s.account_id", "<=", upTo);
  return sql<boolean>`exists (${query})`;
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
  /** Every product the user had access to at the run, dormant or not. */
  products: {
    productKey: string;
    resourceId: string;
    lastActiveAt: Date | null;
  }[];
  /** The user's groups at the run, with what each grants (a group may grant nothing). */
  groups: {
    groupId: string;
    groupName: string;
    groupManagementSource: string | null;
    grants: { productKey: string | null; resourceId: string; role: string }[];
  }[];
}

/**
 * Billable users with at least one dormant seat, in account-id order after `after` (and up
 * to `upTo`, inclusive, when given). The bounds are repeated inside the EXISTS so both index
 * scans start at them.
 */
function dormantUsersQuery(
  db: Db,
  w: ReportWindow,
  after: string | null = null,
  upTo: string | null = null,
) {
  let query = db
    .selectFrom(usersAt(w))
    .where(billableSql("u"))
    .where(hasSeat(db, w, "dormant", after, upTo));
  if (after !== null) query = query.where("u.account_id", ">", after);
  if (upTo !== null) query = query.where("u.account_id", "<=", upTo);
  return query;
}

/**
 * The account id `n` users after `after` in the org's history at the window's run, or null
 * when fewer remain. Walks the primary key in order, so it costs `n` index entries.
 */
async function accountIdAfter(
  db: Db,
  w: ReportWindow,
  after: string | null,
  n: number,
): Promise<string | null> {
  const { rows } = await accountIdAfterQuery(w, after, n).execute(db);
  return rows[0]?.account_id ?? null;
}

function accountIdAfterQuery(w: ReportWindow, after: string | null, n: number) {
  return sql<{ account_id: string }>`
    select account_id from user_versions
    where org_id = ${w.orgId} and ${validAt(w.runId)}
      ${after === null ? sql`` : sql`and account_id > ${after}`}
    order by account_id offset ${n - 1} limit 1`;
}

/** The dormant users of one range of the org's users, and where the next range starts. */
export interface DormantUsersPage {
  users: DormantUserRow[];
  /** The range's last account id, to pass as `after` for the next page; null after the last. */
  next: string | null;
}

/** Reads the dormant users of one crawl run page by page (see `page`). */
export interface DormantUsersReader {
  /**
   * Billable users dormant under `rules` among the next `scan` users of the org after `after`
   * (in account-id order; the whole rest of the org after `after` when fewer remain), with
   * their products and groups. Each page reads a bounded range of the history's index, so
   * every page costs the same however deep into the org it is, and every user is scanned
   * once. A page may hold nobody: only `next === null` means the org is done.
   */
  page(rules: ActivityWindow, after: string | null, scan: number): Promise<DormantUsersPage>;
}

/**
 * A reader of the dormant users of one org as of one run, under any rules (a report's, or each
 * policy rule's). The org's groups (names, sources, what each grants) are read once, with the
 * first page, and every page names its users' groups by id: a group's details are the org's,
 * not each member's, so they are not built again per member, nor per rule.
 */
export function dormantUsersReader(
  db: Db,
  run: Pick<ReportWindow, "orgId" | "runId">,
): DormantUsersReader {
  let groups: Promise<GroupCatalog> | undefined;
  return {
    async page(rules, after, scan) {
      if (groups === undefined) {
        groups = groupCatalog(db, run);
        // Awaited by every page; a page that fails before awaiting it leaves no unhandled rejection.
        groups.catch(() => undefined);
      }
      const w: ReportWindow = { ...rules, orgId: run.orgId, runId: run.runId };
      const upTo = await accountIdAfter(db, w, after, scan);
      const [rows, catalog] = await Promise.all([
        dormantUsersPageQuery(db, w, after, upTo).execute(),
        groups,
      ]);
      return { users: rows.map((u) => toDormantRow(u.row, catalog)), next: upTo };
    },
  };
}

/**
 * The users of one range with their products and group ids, one row per user, each row one
 * JSON array as text: the products and group ids come as JSON arrays from per-user lookups of
 * the history's primary keys, so a page takes one query (after the one that finds its range's
 * end) and a few objects per user. One text column, parsed by JSON.parse where the rows are
 * used: the embedded database's thread (the report's critical path on PGlite) decodes one
 * field a row instead of fourteen, and sends strings, not nested arrays, to the main thread.
 */
function dormantUsersPageQuery(db: Db, w: ReportWindow, after: string | null, upTo: string | null) {
  return dormantUsersQuery(db, w, after, upTo)
    .select(
      sql<string>`json_build_array(u.account_id, u.email, u.name, u.account_type,
        u.account_status, u.membership_status, u.status, u.claim_status, u.management_source,
        u.platform_roles, u.added_to_org, ${productsOf(w)}, ${groupIdsOf(w)})::text`.as("row"),
    )
    .orderBy("u.account_id");
}

/** A page row's fields, in the order dormantUsersPageQuery builds them. */
type PageRow = [
  accountId: string,
  email: string | null,
  name: string | null,
  accountType: string | null,
  accountStatus: string | null,
  membershipStatus: string | null,
  status: string | null,
  claimStatus: string | null,
  managementSource: string | null,
  platformRoles: unknown,
  addedToOrg: string | null,
  products: ProductJson[],
  groupIds: string[],
];

/** A product as the page query returns it: [product key, resource id, last active (ISO) or null]. */
type ProductJson = [string, string, string | null];

/** The user's products as of the window's run, in product and resource order. */
function productsOf(w: ReportWindow) {
  return sql<ProductJson[]>`(select coalesce(json_agg(json_build_array(
        p.product_key, p.resource_id, p.last_active_at) order by p.product_key, p.resource_id), '[]')
    from (select product_key, resource_id, last_active_at from user_product_versions
          where org_id = u.org_id and account_id = u.account_id and ${validAt(w.runId)}) p)`;
}

/** The ids of the user's groups as of the window's run (in any order: see GroupCatalog). */
function groupIdsOf(w: ReportWindow) {
  return sql<string[]>`(select coalesce(json_agg(group_id), '[]') from user_group_versions
    where org_id = u.org_id and account_id = u.account_id and ${validAt(w.runId)})`;
}

type DormantUserGroup = DormantUserRow["groups"][number];

/** The org's groups as of the window's run by id, each with its place in (name, id) order. */
type GroupCatalog = Map<string, { group: DormantUserGroup; order: number }>;

async function groupCatalog(
  db: Db,
  w: Pick<ReportWindow, "orgId" | "runId">,
): Promise<GroupCatalog> {
  const [groups, grants] = await Promise.all([
    db
      .selectFrom(
        sql<{ group_id: string; name: string; management_source: string | null }>`(
        select group_id, name, management_source from group_versions
        where org_id = ${w.orgId} and ${validAt(w.runId)})`.as("g"),
      )
      .select(["g.group_id", "g.name", "g.management_source"])
      .orderBy("g.name")
      .orderBy("g.group_id")
      .execute(),
    db
      .selectFrom(
        sql<{ group_id: string; product_key: string | null; resource_id: string; role: string }>`(
        select group_id, product_key, resource_id, role from group_grant_versions
        where org_id = ${w.orgId} and ${validAt(w.runId)})`.as("gg"),
      )
      .select(["gg.group_id", "gg.product_key", "gg.resource_id", "gg.role"])
      .orderBy("gg.group_id")
      .orderBy("gg.resource_id")
      .orderBy("gg.role")
      .execute(),
  ]);
  const catalog: GroupCatalog = new Map();
  groups.forEach((g, order) => {
    // One version of a group is valid at a run; should two be, the first by name is kept.
    if (catalog.has(g.group_id)) return;
    const group = {
      groupId: g.group_id,
      groupName: g.name,
      groupManagementSource: g.management_source,
      grants: [],
    };
    catalog.set(g.group_id, { group, order });
  });
  for (const gg of grants) {
    catalog.get(gg.group_id)?.group.grants.push({
      productKey: gg.product_key,
      resourceId: gg.resource_id,
      role: gg.role,
    });
  }
  // Every member of a group on a page shares its object: frozen, so none can change another's.
  for (const { group } of catalog.values()) {
    group.grants.forEach((g) => Object.freeze(g));
    Object.freeze(group.grants);
    Object.freeze(group);
  }
  return catalog;
}

function toDormantRow(text: string, catalog: GroupCatalog): DormantUserRow {
  const [
    accountId,
    email,
    name,
    accountType,
    accountStatus,
    membershipStatus,
    status,
    claimStatus,
    managementSource,
    platformRoles,
    addedToOrg,
    products,
    groupIds,
  ] = JSON.parse(text) as PageRow;
  const groups = [];
  for (const id of groupIds) {
    const found = catalog.get(id);
    // A membership without a version of its group at the run names no group (as before).
    if (found !== undefined) groups.push(found);
  }
  groups.sort((a, b) => a.order - b.order);
  return {
    accountId,
    email,
    name,
    accountType,
    accountStatus,
    membershipStatus,
    status,
    claimStatus,
    managementSource,
    platformRoles: Array.isArray(platformRoles) ? platformRoles.map(String) : [],
    addedToOrg: addedToOrg === null ? null : new Date(addedToOrg),
    products: products.map(([productKey, resourceId, lastActiveAt]) => ({
      productKey,
      resourceId,
      lastActiveAt: lastActiveAt === null ? null : new Date(lastActiveAt),
    })),
    groups: groups.map((g) => g.group),
  };
}

/**
 * Reserves a report id before the workbook that shows it is written; the report_runs row
 * itself is inserted only once the files are complete.
 */
export async function reserveReportId(db: Db): Promise<number> {
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

export async function insertReportRun(db: Db, run: NewReportRun): Promise<number> {
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

/**
 * The report's queries over an org's history, compiled exactly as the report builds them:
 * the summary's per-product statistics (also the trend's, for an earlier run's window) and
 * totals with the dormant count, and one page of the Dormant accounts sheet (`batch.scan`
 * users after `batch.after`, which end at `batch.upTo`). For tests that EXPLAIN them.
 */
export function reportStatements(
  db: Db,
  w: ReportWindow,
  batch: { after: string | null; upTo: string | null; scan: number },
): Statement[] {
  return [
    { what: "product statistics", query: productStatsQuery(db, w).compile() },
    { what: "org totals", query: orgTotalsQuery(db, w).compile() },
    {
      what: "dormant batch: end of the scanned range",
      query: accountIdAfterQuery(w, batch.after, batch.scan).compile(db),
    },
    {
      what: "dormant batch: users",
      query: dormantUsersPageQuery(db, w, batch.after, batch.upTo).compile(),
    },
  ];
}
