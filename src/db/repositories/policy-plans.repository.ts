/**
 * Policy plans and their actions: what the plan step reads besides the report's own reads
 * (reports.repository.ts), and how plans are stored, approved and listed.
 */
import { sql, type Kysely, type Transaction } from "kysely";
import { json } from "../json.ts";
import type { CrawlStatus, Database } from "../schema.ts";
import type { ActionState, PlanStatus, PolicyActionRow, PolicyPlanRow } from "../tables/policy.ts";
import type { ReportWindow } from "./reports.repository.ts";
import { validAt } from "./history.repository.ts";

type Db = Kysely<Database> | Transaction<Database>;

export interface FinishedCrawl {
  runId: number;
  status: Exclude<CrawlStatus, "running">;
  finishedAt: Date;
  error: string | null;
}

/** The org's most recently finished crawl, whatever its outcome; null when none finished. */
export async function latestFinishedCrawl(db: Db, orgId: string): Promise<FinishedCrawl | null> {
  const r = await db
    .selectFrom("crawl_runs")
    .select(["run_id", "status", "finished_at", "error"])
    .where("org_id", "=", orgId)
    .where("status", "!=", "running")
    .where("finished_at", "is not", null)
    .orderBy("finished_at", "desc")
    .orderBy("run_id", "desc")
    .limit(1)
    .executeTakeFirst();
  if (r === undefined || r.finished_at === null || r.status === "running") return null;
  return {
    runId: Number(r.run_id),
    status: r.status,
    finishedAt: new Date(r.finished_at),
    error: r.error,
  };
}

/** Orgs that have been crawled at least once, by id. */
export async function crawledOrgIds(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom("crawl_runs")
    .select("org_id")
    .distinct()
    .orderBy("org_id")
    .execute();
  return rows.map((r) => r.org_id);
}

/** The org's directories as its latest crawl listed them. */
export async function orgDirectoryIds(db: Db, orgId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("directories")
    .select("directory_id")
    .where("org_id", "=", orgId)
    .where((eb) =>
      eb(
        "last_seen_run_id",
        "=",
        eb
          .selectFrom("directories as d2")
          .select((e) => e.fn.max("d2.last_seen_run_id").as("m"))
          .where("d2.org_id", "=", orgId),
      ),
    )
    .orderBy("directory_id")
    .execute();
  return rows.map((r) => r.directory_id);
}

/** Each group's directory as of the window's run. */
export async function groupDirectoriesAt(
  db: Db,
  w: Pick<ReportWindow, "orgId" | "runId">,
): Promise<Map<string, string | null>> {
  const { rows } = await sql<{ group_id: string; directory_id: string | null }>`
    select group_id, directory_id from group_versions
    where org_id = ${w.orgId} and ${validAt(w.runId)}`.execute(db);
  return new Map(rows.map((r) => [r.group_id, r.directory_id]));
}

/**
 * Direct product roles of some users, as the crawl last read them (only users whose resource
 * count said they hold more than their groups grant get that read; see src/crawl).
 */
export async function directRolesOf(
  db: Db,
  orgId: string,
  accountIds: readonly string[],
): Promise<Map<string, { resourceId: string; role: string }[]>> {
  const out = new Map<string, { resourceId: string; role: string }[]>();
  if (accountIds.length === 0) return out;
  const rows = await db
    .selectFrom("user_direct_roles")
    .select(["account_id", "resource_id", "role"])
    .where("org_id", "=", orgId)
    .where("account_id", "in", [...accountIds])
    .orderBy("account_id")
    .orderBy("resource_id")
    .orderBy("role")
    .execute();
  for (const r of rows) {
    const list = out.get(r.account_id) ?? [];
    list.push({ resourceId: r.resource_id, role: r.role });
    out.set(r.account_id, list);
  }
  return out;
}

/** Products of the org with their names and sites, for labels. */
export async function orgProducts(db: Db, orgId: string) {
  return db
    .selectFrom("products")
    .select(["product_key", "resource_id", "name", "site_url"])
    .where("org_id", "=", orgId)
    .orderBy("product_key")
    .orderBy("resource_id")
    .execute();
}

export interface NewPlan {
  orgId: string;
  crawlRunId: number;
  dataAsOf: Date;
  createdAt: Date;
  createdBy: string;
  config: unknown;
  summary: unknown;
  excluded: unknown[];
  cut: unknown[];
  idpChanges: unknown[];
}

export interface NewPlanAction {
  accountId: string;
  email: string | null;
  name: string | null;
  kind: string;
  productKey: string;
  resourceId: string | null;
  rule: string;
  reason: string;
  detail: unknown;
  calls: unknown[];
  seats: number;
  savingMonthly: number;
}

/** Stores a plan and its actions (in order) in one transaction; returns the plan id. */
export async function insertPlan(
  db: Kysely<Database>,
  plan: NewPlan,
  actions: readonly NewPlanAction[],
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto("policy_plans")
      .values({
        org_id: plan.orgId,
        crawl_run_id: plan.crawlRunId,
        data_as_of: plan.dataAsOf,
        created_at: plan.createdAt,
        created_by: plan.createdBy,
        config: json(plan.config),
        summary: json(plan.summary),
        excluded: json(plan.excluded),
        cut: json(plan.cut),
        idp_changes: json(plan.idpChanges),
        updated_at: plan.createdAt,
      })
      .returning("plan_id")
      .executeTakeFirstOrThrow();
    const planId = Number(row.plan_id);
    for (let i = 0; i < actions.length; i += 500) {
      await trx
        .insertInto("policy_actions")
        .values(
          actions.slice(i, i + 500).map((a, j) => ({
            plan_id: planId,
            org_id: plan.orgId,
            seq: i + j + 1,
            account_id: a.accountId,
            email: a.email,
            name: a.name,
            kind: a.kind,
            product_key: a.productKey,
            resource_id: a.resourceId,
            rule: a.rule,
            reason: a.reason,
            detail: json(a.detail),
            calls: json(a.calls),
            seats: a.seats,
            saving_monthly: a.savingMonthly,
            updated_at: plan.createdAt,
          })),
        )
        .execute();
    }
    return planId;
  });
}

/** Records where the plan's files were written. */
export async function setPlanFiles(
  db: Db,
  planId: number,
  files: { workbookPath: string; csvPath: string; changeListPath: string },
): Promise<void> {
  await db
    .updateTable("policy_plans")
    .set({
      workbook_path: files.workbookPath,
      csv_path: files.csvPath,
      change_list_path: files.changeListPath,
    })
    .where("plan_id", "=", planId)
    .execute();
}

export async function getPlan(db: Db, planId: number): Promise<PolicyPlanRow | undefined> {
  return db.selectFrom("policy_plans").selectAll().where("plan_id", "=", planId).executeTakeFirst();
}

/** The plan's actions in order. */
export async function planActions(db: Db, planId: number): Promise<PolicyActionRow[]> {
  return db
    .selectFrom("policy_actions")
    .selectAll()
    .where("plan_id", "=", planId)
    .orderBy("seq")
    .execute();
}

/** The org's newest plan in one of `statuses` (newest first), or undefined. */
export async function latestPlan(
  db: Db,
  orgId: string,
  statuses: readonly PlanStatus[],
): Promise<PolicyPlanRow | undefined> {
  return db
    .selectFrom("policy_plans")
    .selectAll()
    .where("org_id", "=", orgId)
    .where("status", "in", [...statuses])
    .orderBy("plan_id", "desc")
    .limit(1)
    .executeTakeFirst();
}

/**
 * Records the approval of a pending plan. Returns false when the plan is not pending (already
 * approved, applied or undone): approval happens once.
 */
export async function approvePlan(
  db: Db,
  planId: number,
  approval: { by: string; at: Date; kind: "manual" | "auto"; warnUntil: Date | null },
): Promise<boolean> {
  const r = await db
    .updateTable("policy_plans")
    .set({
      status: "approved",
      approved_at: approval.at,
      approved_by: approval.by,
      approval: approval.kind,
      warn_until: approval.warnUntil,
      updated_at: approval.at,
    })
    .where("plan_id", "=", planId)
    .where("status", "=", "pending")
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function setPlanStatus(
  db: Db,
  planId: number,
  status: PlanStatus,
  at: Date,
): Promise<void> {
  await db
    .updateTable("policy_plans")
    .set({ status, updated_at: at })
    .where("plan_id", "=", planId)
    .execute();
}

/** Counts of the plan's actions by state. */
export async function actionStateCounts(
  db: Db,
  planId: number,
): Promise<Partial<Record<ActionState, number>>> {
  const rows = await db
    .selectFrom("policy_actions")
    .select(["state", (eb) => eb.fn.countAll<number>().as("n")])
    .where("plan_id", "=", planId)
    .groupBy("state")
    .execute();
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

/** Some users' last activity per product as of a succeeded run (from the history). */
export async function activityAt(
  db: Db,
  orgId: string,
  runId: number,
  accountIds: readonly string[],
): Promise<Map<string, { productKey: string; resourceId: string; lastActiveAt: Date | null }[]>> {
  const out = new Map<
    string,
    { productKey: string; resourceId: string; lastActiveAt: Date | null }[]
  >();
  if (accountIds.length === 0) return out;
  const { rows } = await sql<{
    account_id: string;
    product_key: string;
    resource_id: string;
    last_active_at: Date | null;
  }>`select account_id, product_key, resource_id, last_active_at from user_product_versions
     where org_id = ${orgId} and ${validAt(runId)}
       and account_id in (${sql.join([...accountIds])})`.execute(db);
  for (const r of rows) {
    const list = out.get(r.account_id) ?? [];
    list.push({
      productKey: r.product_key,
      resourceId: r.resource_id,
      lastActiveAt: r.last_active_at === null ? null : new Date(r.last_active_at),
    });
    out.set(r.account_id, list);
  }
  return out;
}
