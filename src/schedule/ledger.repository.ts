/**
 * The scheduler's ledger: `claimSlot` is the only way to get permission to run a job for an
 * org at a slot. It succeeds for exactly one caller per (job, org, slot) — on Postgres and on
 * PGlite alike, through the unique key and row-level conditions, never advisory locks — and
 * lets a caller take over only a row whose holder is gone (interrupted, or a lease that ran
 * out). Functions take the database first.
 */
import { sql, type Kysely } from "kysely";
import { json } from "../db/json.ts";
import type { Database } from "../db/schema.ts";
import type { ScheduleRun, ScheduleRunStatus, ScheduleTrigger } from "../db/tables/schedule.ts";

type Db = Kysely<Database>;

export interface SlotKey {
  job: string;
  org: string;
  slot: Date;
}

/** Who holds a running row. */
export interface Owner {
  /** This scheduler instance (a process may run more than one in tests). */
  id: string;
  host: string;
  pid: number;
}

export type SlotClaim =
  { claimed: true; run: ScheduleRun; takenOver: boolean } | { claimed: false; run: ScheduleRun };

/**
 * Claims (job, org, slot) for `owner`.
 * @param retakeFailed also take over a `failed` row (a queue's retry of the same slot)
 * @returns `claimed: false` with the existing row when the slot is done, skipped, or held by
 *   a live owner.
 */
export async function claimSlot(
  db: Db,
  key: SlotKey,
  options: {
    trigger: ScheduleTrigger;
    owner: Owner;
    at: Date;
    leaseMs: number;
    retakeFailed?: boolean;
  },
): Promise<SlotClaim> {
  const { owner, at } = options;
  const leaseUntil = new Date(at.getTime() + options.leaseMs);
  const inserted = await db
    .insertInto("schedule_runs")
    .values({
      job: key.job,
      org: key.org,
      slot: key.slot,
      status: "running",
      trigger: options.trigger,
      owner_id: owner.id,
      owner_host: owner.host,
      owner_pid: owner.pid,
      started_at: at,
      heartbeat_at: at,
      lease_until: leaseUntil,
    })
    .onConflict((oc) => oc.columns(["job", "org", "slot"]).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return { claimed: true, run: inserted, takenOver: false };

  const taken = await db
    .updateTable("schedule_runs")
    .set((eb) => ({
      status: "running",
      trigger: options.trigger,
      attempts: eb("attempts", "+", 1),
      owner_id: owner.id,
      owner_host: owner.host,
      owner_pid: owner.pid,
      started_at: at,
      heartbeat_at: at,
      lease_until: leaseUntil,
      finished_at: null,
      duration_ms: null,
    }))
    .where("job", "=", key.job)
    .where("org", "=", key.org)
    .where("slot", "=", key.slot)
    .where((eb) =>
      eb.or([
        eb("status", "=", "interrupted"),
        eb.and([eb("status", "=", "running"), eb("lease_until", "<", at)]),
        ...(options.retakeFailed ? [eb("status", "=", "failed")] : []),
      ]),
    )
    .returningAll()
    .executeTakeFirst();
  if (taken) return { claimed: true, run: taken, takenOver: true };
  return { claimed: false, run: await getRun(db, key) };
}

export async function getRun(db: Db, key: SlotKey): Promise<ScheduleRun> {
  return db
    .selectFrom("schedule_runs")
    .selectAll()
    .where("job", "=", key.job)
    .where("org", "=", key.org)
    .where("slot", "=", key.slot)
    .executeTakeFirstOrThrow();
}

export async function findRun(db: Db, key: SlotKey): Promise<ScheduleRun | undefined> {
  return db
    .selectFrom("schedule_runs")
    .selectAll()
    .where("job", "=", key.job)
    .where("org", "=", key.org)
    .where("slot", "=", key.slot)
    .executeTakeFirst();
}

/** A live run of the same job for the same org at another slot (the overlap a slot must skip). */
export async function findLiveRun(
  db: Db,
  key: SlotKey,
  at: Date,
): Promise<ScheduleRun | undefined> {
  return db
    .selectFrom("schedule_runs")
    .selectAll()
    .where("job", "=", key.job)
    .where("org", "=", key.org)
    .where("slot", "<>", key.slot)
    .where("status", "=", "running")
    .where("lease_until", ">=", at)
    .orderBy("slot", "desc")
    .executeTakeFirst();
}

/** Records a slot that will not run, and why. Does nothing if the slot already has a row. */
export async function recordSkipped(
  db: Db,
  key: SlotKey,
  options: {
    trigger: ScheduleTrigger;
    at: Date;
    reason: string;
    summary?: Record<string, unknown>;
  },
): Promise<boolean> {
  const row = await db
    .insertInto("schedule_runs")
    .values({
      job: key.job,
      org: key.org,
      slot: key.slot,
      status: "skipped",
      trigger: options.trigger,
      started_at: options.at,
      heartbeat_at: options.at,
      lease_until: options.at,
      finished_at: options.at,
      duration_ms: 0,
      summary: json({ reason: options.reason, ...options.summary }),
    })
    .onConflict((oc) => oc.columns(["job", "org", "slot"]).doNothing())
    .returning("schedule_run_id")
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Extends the lease of a row this owner still holds.
 * @returns false when the row is no longer this owner's (taken over after a stall): stop.
 */
export async function renewLease(
  db: Db,
  runId: number,
  owner: Owner,
  at: Date,
  leaseMs: number,
): Promise<boolean> {
  const result = await db
    .updateTable("schedule_runs")
    .set({ heartbeat_at: at, lease_until: new Date(at.getTime() + leaseMs) })
    .where("schedule_run_id", "=", runId)
    .where("status", "=", "running")
    .where("owner_id", "=", owner.id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Ends a row this owner holds. @returns false when the row was no longer this owner's. */
export async function finishSlot(
  db: Db,
  run: ScheduleRun,
  owner: Owner,
  outcome: {
    status: Exclude<ScheduleRunStatus, "running">;
    at: Date;
    summary?: Record<string, unknown>;
    error?: string | null;
  },
): Promise<boolean> {
  const result = await db
    .updateTable("schedule_runs")
    .set({
      status: outcome.status,
      finished_at: outcome.at,
      duration_ms: Math.max(0, outcome.at.getTime() - run.started_at.getTime()),
      lease_until: outcome.at,
      summary: json(outcome.summary ?? {}),
      error: outcome.error ?? null,
    })
    .where("schedule_run_id", "=", run.schedule_run_id)
    .where("status", "=", "running")
    .where("owner_id", "=", owner.id)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Marks `interrupted` every running row whose holder is gone: its lease ran out, or it was
 * held by a process on this host that no longer runs.
 * @returns the rows marked, as they are now.
 */
export async function markAbandoned(
  db: Db,
  options: { at: Date; host: string; isAlive: (pid: number) => boolean },
): Promise<ScheduleRun[]> {
  const { at } = options;
  const running = await db
    .selectFrom("schedule_runs")
    .selectAll()
    .where("status", "=", "running")
    .execute();
  const marked: ScheduleRun[] = [];
  for (const run of running) {
    const expired = run.lease_until.getTime() < at.getTime();
    const deadHere =
      run.owner_host === options.host && run.owner_pid !== null && !options.isAlive(run.owner_pid);
    if (!expired && !deadHere) continue;
    const why = deadHere
      ? `its process (pid ${run.owner_pid} on ${run.owner_host}) is gone`
      : `its lease ran out at ${run.lease_until.toISOString()} (pid ${run.owner_pid ?? "?"} on ${run.owner_host ?? "?"} stopped renewing it)`;
    const updated = await db
      .updateTable("schedule_runs")
      .set({
        status: "interrupted",
        finished_at: at,
        lease_until: at,
        error: `interrupted: ${why}`,
      })
      .where("schedule_run_id", "=", run.schedule_run_id)
      .where("status", "=", "running")
      .where("owner_id", run.owner_id === null ? "is" : "=", run.owner_id)
      .where("lease_until", "=", run.lease_until)
      .returningAll()
      .executeTakeFirst();
    if (updated) marked.push(updated);
  }
  return marked;
}

/**
 * Records the job's schedule. A new job, or one whose cron or timezone changed, is known
 * from `at`: slots before that were not this schedule's and are never caught up.
 * @returns since when the current schedule is known.
 */
export async function rememberSchedule(
  db: Db,
  job: { job: string; cron: string; timezone: string; at: Date },
): Promise<Date> {
  const row = await db
    .insertInto("schedule_jobs")
    .values({
      job: job.job,
      cron: job.cron,
      timezone: job.timezone,
      known_since: job.at,
      updated_at: job.at,
    })
    .onConflict((oc) =>
      oc.column("job").doUpdateSet({
        known_since: sql<Date>`case when schedule_jobs.cron = excluded.cron and schedule_jobs.timezone = excluded.timezone then schedule_jobs.known_since else excluded.known_since end`,
        cron: (eb) => eb.ref("excluded.cron"),
        timezone: (eb) => eb.ref("excluded.timezone"),
        updated_at: (eb) => eb.ref("excluded.updated_at"),
      }),
    )
    .returning("known_since")
    .executeTakeFirstOrThrow();
  return row.known_since;
}

export interface JobLastRun {
  job: string;
  /** The slot of the job's latest run that ended as planned (succeeded, or skipped by the job). */
  slot: Date;
  finishedAt: Date | null;
  durationMs: number | null;
}

/** Per job: its latest succeeded or skipped run (any org) and how long it took. */
export async function lastRuns(db: Db): Promise<JobLastRun[]> {
  const rows = await db
    .selectFrom("schedule_runs")
    .select(["job", "slot", "finished_at", "duration_ms"])
    .where("status", "in", ["succeeded", "skipped"])
    .where("org", "<>", "*")
    .distinctOn("job")
    .orderBy("job")
    .orderBy("slot", "desc")
    .execute();
  return rows.map((r) => ({
    job: r.job,
    slot: r.slot,
    finishedAt: r.finished_at,
    durationMs: r.duration_ms,
  }));
}

/** Per job: its latest succeeded run (any org), for the metrics. */
export async function lastSuccesses(db: Db): Promise<JobLastRun[]> {
  const rows = await db
    .selectFrom("schedule_runs")
    .select(["job", "slot", "finished_at", "duration_ms"])
    .where("status", "=", "succeeded")
    .where("org", "<>", "*")
    .distinctOn("job")
    .orderBy("job")
    .orderBy("finished_at", "desc")
    .execute();
  return rows.map((r) => ({
    job: r.job,
    slot: r.slot,
    finishedAt: r.finished_at,
    durationMs: r.duration_ms,
  }));
}

/** Since when each job's current schedule is known. */
export async function knownSchedules(db: Db): Promise<{ job: string; knownSince: Date }[]> {
  const rows = await db.selectFrom("schedule_jobs").select(["job", "known_since"]).execute();
  return rows.map((r) => ({ job: r.job, knownSince: r.known_since }));
}

/** Per (job, org): its latest finished run, with the summary the job reported. */
export async function lastFinishedPerOrg(db: Db): Promise<ScheduleRun[]> {
  return db
    .selectFrom("schedule_runs")
    .selectAll()
    .where("status", "in", ["succeeded", "failed"])
    .where("org", "<>", "*")
    .distinctOn(["job", "org"])
    .orderBy("job")
    .orderBy("org")
    .orderBy("finished_at", "desc")
    .execute();
}

/** Rows per (job, status), for the metrics. */
export async function countsByStatus(
  db: Db,
): Promise<{ job: string; status: ScheduleRunStatus; n: number }[]> {
  return db
    .selectFrom("schedule_runs")
    .select(["job", "status", (eb) => eb.fn.countAll<number>().as("n")])
    .where("org", "<>", "*")
    .groupBy(["job", "status"])
    .execute();
}
