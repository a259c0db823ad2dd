/** Table types owned by the scheduler (see migrations/2026-12-01T15-schedule-ledger.ts). */
import type { ColumnType, Generated, Selectable } from "kysely";
import type { JsonWithDefault, Timestamp } from "../schema.ts";

export type ScheduleRunStatus = "running" | "succeeded" | "failed" | "interrupted" | "skipped";
export type ScheduleTrigger = "tick" | "catch-up" | "once" | "queue";

export interface ScheduleRunsTable {
  schedule_run_id: Generated<number>;
  job: string;
  org: string;
  slot: Timestamp;
  status: ScheduleRunStatus;
  trigger: ScheduleTrigger;
  attempts: ColumnType<number, number | undefined, number>;
  owner_id: string | null;
  owner_host: string | null;
  owner_pid: number | null;
  started_at: Timestamp;
  heartbeat_at: Timestamp;
  lease_until: Timestamp;
  finished_at: Timestamp | null;
  duration_ms: number | null;
  summary: JsonWithDefault<Record<string, unknown>>;
  error: string | null;
}

export interface ScheduleJobsTable {
  job: string;
  cron: string;
  timezone: string;
  known_since: Timestamp;
  updated_at: Timestamp;
}

export type ScheduleRun = Selectable<ScheduleRunsTable>;

export interface ScheduleTables {
  schedule_runs: ScheduleRunsTable;
  schedule_jobs: ScheduleJobsTable;
}
