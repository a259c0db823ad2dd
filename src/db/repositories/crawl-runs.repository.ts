/**
 * Crawl runs: their lifecycle (running → succeeded | incomplete | failed), checkpoints, errors
 * and per-user work items. Functions take the database (or a transaction) first.
 */
import { sql, type Kysely } from "kysely";
import { isUniqueViolation } from "../errors.ts";
import { json } from "../json.ts";
import type { CrawlRun, CrawlStatus, Database } from "../schema.ts";

type Db = Kysely<Database>;

/** Records the org (and its latest name) so runs can reference it. */
export async function upsertOrg(db: Db, org: { orgId: string; name: string | null }, at: Date) {
  await db
    .insertInto("orgs")
    .values({ org_id: org.orgId, name: org.name, first_seen_at: at, updated_at: at })
    .onConflict((oc) =>
      oc.column("org_id").doUpdateSet((eb) => ({
        name: eb.fn.coalesce("excluded.name", "orgs.name"),
        updated_at: at,
      })),
    )
    .execute();
}

/**
 * Inserts a new running run. At most one run per org may be running (a partial unique
 * index), so this is the atomic claim of the org's crawl.
 * @returns the run, or null when another run of the org is already running
 */
export async function insertRunningRun(
  db: Db,
  run: { orgId: string; strategy: string; at: Date; checkpoint: Record<string, unknown> },
): Promise<CrawlRun | null> {
  try {
    return await db
      .insertInto("crawl_runs")
      .values({
        org_id: run.orgId,
        strategy: run.strategy,
        started_at: run.at,
        heartbeat_at: run.at,
        checkpoint: json(run.checkpoint),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (error) {
    if (isUniqueViolation(error)) return null;
    throw error;
  }
}

/** The newest run of the org still marked running (a crawl in progress, or one that was killed). */
export async function findRunningRun(db: Db, orgId: string): Promise<CrawlRun | undefined> {
  return db
    .selectFrom("crawl_runs")
    .selectAll()
    .where("org_id", "=", orgId)
    .where("status", "=", "running")
    .orderBy("run_id", "desc")
    .executeTakeFirst();
}

/** The org's newest run, whatever its status. */
export async function latestRun(db: Db, orgId: string): Promise<CrawlRun | undefined> {
  return db
    .selectFrom("crawl_runs")
    .selectAll()
    .where("org_id", "=", orgId)
    .orderBy("run_id", "desc")
    .executeTakeFirst();
}

/**
 * Takes over a running run whose owner is gone, only if nobody else did since it was read
 * (its heartbeat is still the one read): two processes finding the same dead run cannot
 * both take it.
 * @returns the run as taken over, or null when another process got there first
 */
export async function takeOverRun(
  db: Db,
  run: CrawlRun,
  claim: { at: Date; checkpoint: Record<string, unknown> },
): Promise<CrawlRun | null> {
  const row = await db
    .updateTable("crawl_runs")
    .set({ heartbeat_at: claim.at, checkpoint: json(claim.checkpoint) })
    .where("run_id", "=", run.run_id)
    .where("status", "=", "running")
    .where("heartbeat_at", "=", run.heartbeat_at)
    .returningAll()
    .executeTakeFirst();
  return row ?? null;
}

/**
 * Reopens a failed or incomplete run to resume it from its checkpoint: it becomes the org's
 * running run again (the same unique index guards it), and its failed per-user reads are
 * queued again.
 * @returns the reopened run, or null when another run of the org is running now
 */
export async function reopenRun(
  db: Db,
  run: CrawlRun,
  claim: { at: Date; checkpoint: Record<string, unknown> },
): Promise<CrawlRun | null> {
  try {
    return await db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable("crawl_runs")
        .set({
          status: "running",
          finished_at: null,
          error: null,
          heartbeat_at: claim.at,
          checkpoint: json(claim.checkpoint),
        })
        .where("run_id", "=", run.run_id)
        .where("status", "=", run.status)
        .returningAll()
        .executeTakeFirst();
      if (row === undefined) return null;
      await trx
        .updateTable("crawl_user_checks")
        .set({ state: "pending" })
        .where("run_id", "=", run.run_id)
        .where("state", "=", "failed")
        .execute();
      return row;
    });
  } catch (error) {
    if (isUniqueViolation(error)) return null;
    throw error;
  }
}

/** Gives a run up for good: never resumed, never reported. */
export async function abandonRun(db: Db, runId: number, at: Date, why: string): Promise<void> {
  await db
    .updateTable("crawl_runs")
    .set({ status: "abandoned", finished_at: at, error: `abandoned: ${why}` })
    .where("run_id", "=", runId)
    .where("status", "in", ["running", "failed", "incomplete"])
    .execute();
}

export async function getRun(db: Db, runId: number): Promise<CrawlRun> {
  return db
    .selectFrom("crawl_runs")
    .selectAll()
    .where("run_id", "=", runId)
    .executeTakeFirstOrThrow();
}

/** Saves progress; `checkpoint` and `summary` replace the stored objects when given. */
export async function updateRun(
  db: Db,
  runId: number,
  patch: {
    heartbeatAt?: Date;
    checkpoint?: Record<string, unknown>;
    summary?: Record<string, unknown>;
    usersTotal?: number;
    usersDone?: number;
    usersFailed?: number;
  },
): Promise<void> {
  await db
    .updateTable("crawl_runs")
    .set({
      ...(patch.heartbeatAt ? { heartbeat_at: patch.heartbeatAt } : {}),
      ...(patch.checkpoint ? { checkpoint: json(patch.checkpoint) } : {}),
      ...(patch.summary ? { summary: json(patch.summary) } : {}),
      ...(patch.usersTotal !== undefined ? { users_total: patch.usersTotal } : {}),
      ...(patch.usersDone !== undefined ? { users_done: patch.usersDone } : {}),
      ...(patch.usersFailed !== undefined ? { users_failed: patch.usersFailed } : {}),
    })
    .where("run_id", "=", runId)
    .execute();
}

export async function finishRun(
  db: Db,
  runId: number,
  end: { status: Exclude<CrawlStatus, "running">; at: Date; error?: string | null },
): Promise<void> {
  await db
    .updateTable("crawl_runs")
    .set({
      status: end.status,
      finished_at: end.at,
      heartbeat_at: end.at,
      error: end.error ?? null,
    })
    .where("run_id", "=", runId)
    .execute();
}

export interface CrawlErrorInput {
  accountId: string | null;
  endpoint: string;
  kind: string;
  message: string;
  at: Date;
}

export async function recordErrors(db: Db, runId: number, errors: CrawlErrorInput[]) {
  if (errors.length === 0) return;
  await db
    .insertInto("crawl_errors")
    .values(
      errors.map((e) => ({
        run_id: runId,
        account_id: e.accountId,
        endpoint: e.endpoint,
        kind: e.kind,
        message: e.message,
        occurred_at: e.at,
      })),
    )
    .execute();
}

/** Queues per-user work for a run (idempotent: a resumed run does not queue twice). */
export async function queueUserChecks(
  db: Db,
  runId: number,
  purpose: CheckPurpose,
  accountIds: string[],
): Promise<void> {
  await queueChecksByPurpose(db, runId, { [purpose]: accountIds });
}

/** A per-user read the crawl must make: one user, one purpose. */
export interface QueuedCheck {
  account_id: string;
  purpose: CheckPurpose;
}

/**
 * Queues several kinds of per-user work at once, in one statement (idempotent); returns the
 * reads newly queued (a read queued before is left as it is).
 */
export async function queueChecksByPurpose(
  db: Db,
  runId: number,
  byPurpose: Partial<Record<CheckPurpose, string[]>>,
): Promise<QueuedCheck[]> {
  const rows = Object.entries(byPurpose).flatMap(([purpose, accountIds]) =>
    (accountIds ?? []).map((account_id) => ({
      run_id: runId,
      account_id,
      purpose: purpose as CheckPurpose,
    })),
  );
  if (rows.length === 0) return [];
  return db
    .insertInto("crawl_user_checks")
    .values(rows)
    .onConflict((oc) => oc.doNothing())
    .returning(["account_id", "purpose"])
    .execute();
}

/**
 * The next batch of pending work, in (account, purpose) order after `after` (keyset: one
 * account may have several purposes, and a batch may end between them).
 */
export async function pendingUserChecks(
  db: Db,
  runId: number,
  after: QueuedCheck | null,
  limit: number,
): Promise<QueuedCheck[]> {
  let q = db
    .selectFrom("crawl_user_checks")
    .select(["account_id", "purpose"])
    .where("run_id", "=", runId)
    .where("state", "=", "pending");
  if (after !== null) {
    q = q.where(sql<boolean>`(account_id, purpose) > (${after.account_id}, ${after.purpose})`);
  }
  return q.orderBy("account_id").orderBy("purpose").limit(limit).execute();
}

export interface CompletedCheck {
  accountId: string;
  purpose: CheckPurpose;
  state: "done" | "failed";
  detail?: Record<string, unknown>;
}

/** Marks many per-user checks of a run done or failed, with their details, in one UPDATE. */
export async function completeUserChecks(
  db: Db,
  runId: number,
  checks: CompletedCheck[],
): Promise<void> {
  // Bound the statement's parameters (4 a row) well under Postgres's 65,535.
  for (let i = 0; i < checks.length; i += 2000) {
    const rows = checks
      .slice(i, i + 2000)
      .map(
        (c) =>
          sql`(${c.accountId}::text, ${c.purpose}::text, ${c.state}::text, ${json(c.detail ?? {})}::jsonb)`,
      );
    await sql`
      update crawl_user_checks c
      set state = v.state, detail = v.detail
      from (values ${sql.join(rows)}) as v(account_id, purpose, state, detail)
      where c.run_id = ${runId} and c.account_id = v.account_id and c.purpose = v.purpose`.execute(
      db,
    );
  }
}

/** Why a user needs a per-user read in this run (see crawl_user_checks). */
export type CheckPurpose = "fill" | "sample" | "roles" | "groups";

export async function countUserChecks(db: Db, runId: number) {
  const rows = await db
    .selectFrom("crawl_user_checks")
    .select(["purpose", "state", (eb) => eb.fn.countAll<number>().as("n")])
    .where("run_id", "=", runId)
    .groupBy(["purpose", "state"])
    .execute();
  const count = (purpose: string, state: string) =>
    rows.find((r) => r.purpose === purpose && r.state === state)?.n ?? 0;
  return {
    fillPending: count("fill", "pending"),
    fillDone: count("fill", "done"),
    fillFailed: count("fill", "failed"),
    samplePending: count("sample", "pending"),
    sampleDone: count("sample", "done"),
    sampleFailed: count("sample", "failed"),
    rolesPending: count("roles", "pending"),
    rolesDone: count("roles", "done"),
    rolesFailed: count("roles", "failed"),
    groupsPending: count("groups", "pending"),
    groupsDone: count("groups", "done"),
    groupsFailed: count("groups", "failed"),
  };
}

/**
 * Queues again, once, the failed reads whose failure may pass (server errors, the network,
 * rate limits): one 500 must not leave a user unread for the week.
 * @returns how many were queued again
 */
export async function requeueTransientFailures(db: Db, runId: number): Promise<number> {
  const result = await db
    .updateTable("crawl_user_checks")
    .set({ state: "pending" })
    .where("run_id", "=", runId)
    .where("state", "=", "failed")
    .where(sql<boolean>`coalesce(detail->>'retryable', 'false') = 'true'`)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Queues a last-active-dates read for every user the run has seen (the bulk data is not
 * trusted any more). @returns how many were queued
 */
export async function queueFillForEveryone(db: Db, orgId: string, runId: number): Promise<number> {
  const result = await sql`
    insert into crawl_user_checks (run_id, account_id, purpose)
    select ${runId}, u.account_id, 'fill' from users u
    where u.org_id = ${orgId} and u.last_seen_run_id = ${runId}
    on conflict do nothing`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/** Records that the API gave records it could not use (they make the run incomplete). */
export async function countRejectedRecords(db: Db, runId: number): Promise<number> {
  const row = await db
    .selectFrom("crawl_errors")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("run_id", "=", runId)
    .where("kind", "=", "rejected-record")
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Sample checks whose two sources disagreed, with what differed. */
export async function sampleDisagreements(db: Db, runId: number) {
  return db
    .selectFrom("crawl_user_checks")
    .select(["account_id", "detail"])
    .where("run_id", "=", runId)
    .where("purpose", "=", "sample")
    .where("state", "=", "done")
    .where(sql<boolean>`detail->>'agree' = 'false'`)
    .orderBy("account_id")
    .execute();
}
