/**
 * `reclaim schedule` as a long-running process: the scheduler over the runtime's database and
 * orgs, the pg-boss engine when configured, and the optional health listener; `stop()`
 * unwinds them in order (stop fetching, stop ticking and abort the running job, let the
 * queue settle, close the listener). The CLI owns signals and the runtime.
 */
import { OrgClients, type OrgClient } from "../app/org-clients.ts";
import type { Runtime } from "../app/runtime.ts";
import { errorMessage } from "../shared/errors.ts";
import { startBossEngine, type BossEngine } from "./boss.ts";
import type { TickerFactory } from "./cron.ts";
import { startHealthServer, type HealthServer } from "./health.ts";
import { scheduledJobs } from "./jobs.ts";
import { Scheduler, type JobRunner, type SlotOutcome } from "./scheduler.ts";
import type { ScheduleJobName } from "../config/sections/schedule.ts";

/** The setup cannot run a scheduler (no org; the pg-boss engine without Postgres). */
export class ScheduleSetupError extends Error {
  override name = "ScheduleSetupError";
}

export interface DaemonOptions {
  listen?: { host: string; port: number } | undefined;
  /** Tests replace node-cron's ticker and the jobs. */
  ticker?: TickerFactory;
  jobs?: Record<ScheduleJobName, JobRunner>;
}

export interface Daemon {
  scheduler: Scheduler;
  health?: HealthServer;
  /** Settles when the start-up catch-up is done. */
  caughtUp: Promise<SlotOutcome[]>;
  stop(reason: string): Promise<void>;
}

/** The orgs a scheduler works on. @throws ScheduleSetupError when none is configured. */
export function scheduledOrgs(runtime: Runtime): OrgClient[] {
  const clients = runtime.clients ?? new OrgClients(runtime.config.orgs, runtime.config.crawl);
  const orgs = clients.all();
  if (orgs.length === 0) {
    throw new ScheduleSetupError(
      "no org to schedule: set ATLASSIAN_API_KEY (an organization API key created without scopes) or list orgs in the config file",
    );
  }
  return orgs;
}

/**
 * Checks, before any database work, what only the schedule command needs.
 * @throws ScheduleSetupError naming what to set
 */
export function checkScheduleSetup(runtime: Pick<Runtime, "config">): void {
  if (runtime.config.orgs.length === 0) {
    throw new ScheduleSetupError(
      "no org to schedule: set ATLASSIAN_API_KEY (an organization API key created without scopes) or list orgs in the config file",
    );
  }
  if (runtime.config.schedule.engine === "pg-boss" && !runtime.config.databaseUrl) {
    throw new ScheduleSetupError(
      'schedule.engine "pg-boss" needs DATABASE_URL (a Postgres server): the embedded database (PGlite) is one process and cannot hold a queue for several replicas; set DATABASE_URL or use engine "local"',
    );
  }
}

/**
 * Starts scheduling: ticking at once, catching up in the background.
 * @throws ScheduleSetupError for a setup that cannot schedule; BossSetupError when the
 *   pg-boss engine is not installed (run `reclaim migrate`).
 */
export async function startDaemon(runtime: Runtime, options: DaemonOptions = {}): Promise<Daemon> {
  checkScheduleSetup(runtime);
  const orgs = scheduledOrgs(runtime);
  const { config, log, clock } = runtime;
  const { db } = runtime.database;
  let engine: BossEngine | undefined;
  if (config.schedule.engine === "pg-boss") {
    engine = await startBossEngine({ databaseUrl: config.databaseUrl!, db, clock, log });
  }
  const scheduler = new Scheduler({
    db,
    clock,
    log,
    schedule: config.schedule,
    orgs,
    jobs: options.jobs ?? scheduledJobs(runtime),
    ...(options.ticker ? { ticker: options.ticker } : {}),
    ...(engine ? { dispatcher: engine.dispatcher } : {}),
  });
  let health: HealthServer | undefined;
  try {
    await scheduler.start();
    if (options.listen) {
      health = await startHealthServer(
        { db, clock, log, schedule: config.schedule, jobs: scheduler.enabledJobs() },
        options.listen,
      );
    }
    if (engine) await engine.work(scheduler, orgs);
  } catch (error) {
    await scheduler.stop("start-up failed");
    await engine?.stop(1000).catch(() => undefined);
    await health?.close().catch(() => undefined);
    throw error;
  }
  log.info("scheduler started", {
    engine: config.schedule.engine,
    timezone: config.schedule.timezone,
    jobs: Object.fromEntries(scheduler.enabledJobs().map((j) => [j, config.schedule.jobs[j].cron])),
    orgs: orgs.map((o) => o.ref),
    ...(health ? { listen: health.url } : {}),
    pid: process.pid,
  });
  const caughtUp = scheduler.catchUp();
  let stopped: Promise<void> | undefined;
  return {
    scheduler,
    ...(health ? { health } : {}),
    caughtUp,
    stop(reason) {
      stopped ??= (async () => {
        log.info(`scheduler stopping: ${reason}`, { pid: process.pid });
        await engine?.stopFetching().catch((e: unknown) => log.warn(`pg-boss: ${errorMessage(e)}`));
        await scheduler.stop(reason);
        await engine
          ?.stop(config.schedule.shutdownGraceSeconds * 1000)
          .catch((e: unknown) => log.warn(`pg-boss stop: ${errorMessage(e)}`));
        await health?.close().catch(() => undefined);
        log.info("scheduler stopped", { pid: process.pid });
      })();
      return stopped;
    },
  };
}
