/**
 * A scheduler over a real database and the simulator: the runtime a daemon would build, with
 * a clock the test sets. The simulator's clock is shifted to the same era, so activity dates
 * and report windows agree.
 */
import { sql } from "kysely";
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { OrgClients } from "../../../src/app/org-clients.ts";
import type { Runtime } from "../../../src/app/runtime.ts";
import { loadConfig, type OrgConfig } from "../../../src/config/config.ts";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import { scheduledJobs } from "../../../src/schedule/jobs.ts";
import { Scheduler, type JobRunner, type SchedulerDeps } from "../../../src/schedule/scheduler.ts";
import type { ScheduleJobName } from "../../../src/config/sections/schedule.ts";
import { fixedClock } from "../../../src/shared/clock.ts";
import { silentLogger } from "../../../src/shared/log.ts";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import { TIME_SCALE } from "../../helpers/crawl.ts";

export const BERLIN = "Europe/Berlin";

/** A simulator whose "now" is `era` (moving on in real time from there). */
export function simulatorAt(
  era: Date,
  orgs: { users: number; seed: string }[],
): Promise<RunningSimulator> {
  const shift = era.getTime() - Date.now();
  return startSimulator({ orgs, timeScale: TIME_SCALE, clock: () => Date.now() + shift });
}

export interface ScheduleFixture {
  runtime: Runtime;
  clock: ReturnType<typeof fixedClock>;
  reportsDir: string;
  /** A scheduler over this runtime (several may share it, like replicas). */
  scheduler(overrides?: Partial<SchedulerDeps>): Scheduler;
  /** The .eml files the outbox transport wrote. */
  outbox(): Promise<string[]>;
}

export async function scheduleFixture(
  database: ReclaimDatabase,
  orgs: OrgConfig[],
  options: { now: Date; timezone?: string; recipients?: string[] },
): Promise<ScheduleFixture> {
  const reportsDir = await mkdtemp(path.join(tmpdir(), "reclaim-schedule-"));
  const config = loadConfig(
    {
      ATLASSIAN_API_KEY: "placeholder",
      RECLAIM_REPORTS_DIR: reportsDir,
      RECLAIM_SCHEDULE_TIMEZONE: options.timezone ?? BERLIN,
      REPORT_TO: (options.recipients ?? ["admins@example.com"]).join(","),
    },
    {},
    "/nonexistent",
  );
  config.orgs = orgs;
  config.crawl = { ...config.crawl, lastActivePerMinute: 200 * TIME_SCALE, crossCheckSample: 3 };
  const clock = fixedClock(options.now);
  const runtime: Runtime = {
    config,
    database,
    clock,
    log: silentLogger,
    clients: new OrgClients(config.orgs, config.crawl, {
      defaultPerMinute: 1000 * TIME_SCALE,
      baseDelayMs: 20,
      maxAttempts: 3,
    }),
    close: () => Promise.resolve(),
  };
  return {
    runtime,
    clock,
    reportsDir,
    scheduler: (overrides = {}) =>
      new Scheduler({
        db: database.db,
        clock,
        log: silentLogger,
        schedule: config.schedule,
        orgs: runtime.clients!.all(),
        jobs: scheduledJobs(runtime),
        // No node-cron timers in these tests: slots are driven by hand or by the catch-up.
        ticker: () => ({ start: () => undefined, stop: () => undefined }),
        ...overrides,
      }),
    outbox: async () => {
      const files = await readdir(path.join(reportsDir, "outbox")).catch(() => [] as string[]);
      return files.filter((f) => f.endsWith(".eml"));
    },
  };
}

/** Jobs that record each call and wait for the test to let them finish. */
export function gatedJobs(): {
  jobs: Record<ScheduleJobName, JobRunner>;
  calls: { job: string; org: string; slot: string }[];
  started: Promise<void>;
  release(): void;
} {
  const calls: { job: string; org: string; slot: string }[] = [];
  let release!: () => void;
  let markStarted!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const started = new Promise<void>((r) => (markStarted = r));
  const run: JobRunner = async (ctx) => {
    calls.push({ job: ctx.job, org: ctx.org.ref, slot: ctx.slot.toISOString() });
    markStarted();
    await new Promise<void>((resolve, reject) => {
      void gate.then(resolve);
      ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason as Error), {
        once: true,
      });
    });
    return { status: "succeeded", summary: { users: 7 } };
  };
  return { jobs: { crawl: run, report: run, policy: run }, calls, started, release };
}

/**
 * Empties every Reclaim table (a suite opens its database once: opening PGlite costs seconds).
 */
export async function emptyDatabase(database: ReclaimDatabase): Promise<void> {
  const { rows } = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like 'kysely_%'`.execute(
    database.db,
  );
  if (rows.length === 0) return;
  const names = rows.map((r) => `"${r.name}"`).join(", ");
  await sql.raw(`truncate ${names} restart identity cascade`).execute(database.db);
}
