/**
 * The scheduler's ledger. `schedule_runs` holds one row per (job, org, scheduled slot),
 * inserted with a unique key *before* the job's work starts, so a restart, an overlapping
 * tick or a second replica can never run the same slot twice. A running row carries a lease
 * that its owner renews; a lease that ran out (or an owner process that is gone) marks the row
 * `interrupted`. `schedule_jobs` remembers since when each job's schedule is known, so a
 * daemon that was down catches up only on slots it was meant to run.
 */
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("schedule_runs")
    .addColumn("schedule_run_id", "bigint", (c) => c.primaryKey().generatedByDefaultAsIdentity())
    // crawl | report | policy
    .addColumn("job", "text", (c) => c.notNull())
    // the org as configured (its id, else its name); "*" for a pg-boss fan-out of one slot
    .addColumn("org", "text", (c) => c.notNull())
    .addColumn("slot", "timestamptz", (c) => c.notNull())
    // running | succeeded | failed | interrupted | skipped
    .addColumn("status", "text", (c) => c.notNull())
    // tick | catch-up | once | queue
    .addColumn("trigger", "text", (c) => c.notNull())
    .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(1))
    // who holds a running row: the scheduler instance, its host and pid (a dead pid on this
    // host frees the row at once; another host's rows wait for their lease to run out)
    .addColumn("owner_id", "text")
    .addColumn("owner_host", "text")
    .addColumn("owner_pid", "integer")
    .addColumn("started_at", "timestamptz", (c) => c.notNull())
    .addColumn("heartbeat_at", "timestamptz", (c) => c.notNull())
    .addColumn("lease_until", "timestamptz", (c) => c.notNull())
    .addColumn("finished_at", "timestamptz")
    .addColumn("duration_ms", "bigint")
    // what the job reported (counts, run and report ids, why it was skipped); never a secret
    .addColumn("summary", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("error", "text")
    .addUniqueConstraint("schedule_runs_once", ["job", "org", "slot"])
    .execute();
  await db.schema
    .createIndex("schedule_runs_running")
    .on("schedule_runs")
    .columns(["job", "org"])
    .where(sql.ref("status"), "=", "running")
    .execute();
  await db.schema
    .createTable("schedule_jobs")
    .addColumn("job", "text", (c) => c.primaryKey())
    .addColumn("cron", "text", (c) => c.notNull())
    .addColumn("timezone", "text", (c) => c.notNull())
    // slots before this were never this schedule's to run: no catch-up for them
    .addColumn("known_since", "timestamptz", (c) => c.notNull())
    .addColumn("updated_at", "timestamptz", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("schedule_jobs").execute();
  await db.schema.dropTable("schedule_runs").execute();
}
