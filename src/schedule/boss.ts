/**
 * The pg-boss engine (`schedule.engine: "pg-boss"`, Postgres only): for several replicas or
 * many orgs. The tick still claims the slot in the ledger once (a fan-out row, org "*"), then
 * sends one pg-boss job per org; every replica runs workers, and each worker claims its
 * (job, org, slot) in the ledger before working, so the ledger stays the durable record.
 *
 * Queues are stately with `singletonKey = org` (at most one queued and one active job per
 * org and job), job ids are derived from job|org|slot (a second send of the same slot is a
 * no-op), failures are retried with backoff, and a job expires only after longer than the
 * longest crawl (a crawl that is cut short resumes from its checkpoint on retry).
 * Queues are created by `reclaim migrate`, never at start-up: concurrent `createQueue` calls
 * from replicas starting together can deadlock.
 */
import { createHash } from "node:crypto";
import type { Kysely } from "kysely";
import PgBoss from "pg-boss";
import type { OrgClient } from "../app/org-clients.ts";
import { scheduleJobNames, type ScheduleJobName } from "../config/sections/schedule.ts";
import type { Database } from "../db/schema.ts";
import type { Clock } from "../shared/clock.ts";
import { errorMessage } from "../shared/errors.ts";
import type { Logger } from "../shared/log.ts";
import { recordSkipped } from "./ledger.repository.ts";
import type { Dispatcher, Scheduler } from "./scheduler.ts";

export const BOSS_SCHEMA = "pgboss";

export const QUEUES: Record<ScheduleJobName, string> = {
  crawl: "reclaim-crawl",
  report: "reclaim-report",
  policy: "reclaim-policy",
};

/** Longer than the longest crawl we have measured (a 100k-user per-user crawl is ~9 h). */
const EXPIRE_HOURS: Record<ScheduleJobName, number> = { crawl: 12, report: 2, policy: 2 };
/** Jobs each replica works on at once, per queue. */
export const WORKERS: Record<ScheduleJobName, number> = { crawl: 4, report: 1, policy: 1 };

const QUEUE_OPTIONS = {
  policy: "stately" as const,
  retryLimit: 3,
  retryDelay: 60,
  retryBackoff: true,
};

interface JobData {
  job: ScheduleJobName;
  org: string;
  slot: string;
}

/** Raised when pg-boss is not set up in the database (run `reclaim migrate`). */
export class BossSetupError extends Error {
  override name = "BossSetupError";
}

/**
 * `reclaim migrate` with the pg-boss engine: installs pg-boss's schema (or migrates it) and
 * creates Reclaim's queues. Idempotent.
 * @returns the queue names.
 */
export async function installQueues(databaseUrl: string): Promise<string[]> {
  const boss = new PgBoss({
    connectionString: databaseUrl,
    schema: BOSS_SCHEMA,
    max: 2,
    supervise: false,
    schedule: false,
  });
  boss.on("error", () => undefined);
  await boss.start();
  try {
    for (const job of scheduleJobNames) {
      await boss.createQueue(QUEUES[job], {
        name: QUEUES[job],
        ...QUEUE_OPTIONS,
        expireInHours: EXPIRE_HOURS[job],
      });
    }
  } finally {
    await boss.stop({ graceful: false });
  }
  return scheduleJobNames.map((job) => QUEUES[job]);
}

/** A job id that is the same for the same (job, org, slot) on every replica (a UUID, as pg-boss wants). */
export function jobId(job: string, org: string, slot: Date): string {
  const hex = createHash("sha256").update(`${job}|${org}|${slot.toISOString()}`).digest("hex");
  // RFC 9562 layout, version 8 (custom), variant 10.
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export interface BossEngine {
  dispatcher: Dispatcher;
  /** Starts this replica's workers; each job is run through `scheduler.runQueued`. */
  work(scheduler: Scheduler, orgs: OrgClient[]): Promise<void>;
  /** Stops fetching new jobs (first step of a shutdown). */
  stopFetching(): Promise<void>;
  /** Waits up to `timeoutMs` for running handlers, then closes pg-boss's pool. */
  stop(timeoutMs: number): Promise<void>;
}

/**
 * Connects pg-boss (without migrating it) and checks Reclaim's queues exist.
 * @throws BossSetupError naming `reclaim migrate` when pg-boss or a queue is missing.
 */
export async function startBossEngine(deps: {
  databaseUrl: string;
  db: Kysely<Database>;
  clock: Clock;
  log: Logger;
}): Promise<BossEngine> {
  const boss = new PgBoss({
    connectionString: deps.databaseUrl,
    schema: BOSS_SCHEMA,
    max: 4,
    migrate: false,
    schedule: false,
    supervise: true,
  });
  boss.on("error", (error) => deps.log.error(`pg-boss: ${errorMessage(error)}`));
  try {
    await boss.start();
    for (const job of scheduleJobNames) {
      if (!(await boss.getQueue(QUEUES[job]))) throw new Error(`queue ${QUEUES[job]} is missing`);
    }
  } catch (error) {
    await boss.stop({ graceful: false }).catch(() => undefined);
    throw new BossSetupError(
      `the pg-boss engine is not set up in this database (${errorMessage(error)}): run \`reclaim migrate\` with schedule.engine "pg-boss" first`,
    );
  }

  const dispatcher: Dispatcher = {
    async enqueue(job, orgs, slot) {
      const queued: Record<string, string> = {};
      for (const org of orgs) {
        const id = jobId(job, org.ref, slot);
        const data: JobData = { job, org: org.ref, slot: slot.toISOString() };
        const sent = await boss.send(QUEUES[job], data, { id, singletonKey: org.ref });
        if (sent) {
          queued[org.ref] = "queued";
        } else if (await boss.getJobById(QUEUES[job], id)) {
          queued[org.ref] = "already queued";
        } else {
          // Stately: this org already has a job of this kind waiting; this slot will not run.
          const reason = `a ${job} for ${org.ref} is already waiting in queue ${QUEUES[job]}`;
          await recordSkipped(
            deps.db,
            { job, org: org.ref, slot },
            { trigger: "queue", at: deps.clock.now(), reason },
          );
          queued[org.ref] = `skipped: ${reason}`;
        }
      }
      return queued;
    },
  };

  return {
    dispatcher,
    async work(scheduler, orgs) {
      const byRef = new Map(orgs.map((o) => [o.ref, o]));
      for (const job of scheduleJobNames) {
        for (let i = 0; i < WORKERS[job]; i++) {
          await boss.work<JobData>(
            QUEUES[job],
            { batchSize: 1, pollingIntervalSeconds: 1 },
            async ([item]) => {
              if (!item) return;
              const org = byRef.get(item.data.org);
              if (!org) {
                throw new Error(
                  `org ${item.data.org} is not configured in this replica; every replica needs the same orgs`,
                );
              }
              const outcome = await scheduler.runQueued(
                item.data.job,
                org,
                new Date(item.data.slot),
              );
              // Thrown errors make pg-boss retry the job later, on any replica.
              if (outcome.status === "failed" || outcome.status === "interrupted") {
                throw new Error(
                  outcome.error ?? `${item.data.job} of ${org.ref} ${outcome.status}`,
                );
              }
              if (outcome.status === "not-claimed" && scheduler.stopping) {
                throw new Error("this replica is stopping; the job is retried elsewhere");
              }
              if (outcome.status === "not-claimed" && outcome.existing === "running") {
                throw new Error(`${item.data.job} of ${org.ref} is still running elsewhere`);
              }
            },
          );
        }
      }
    },
    async stopFetching() {
      for (const job of scheduleJobNames) await boss.offWork(QUEUES[job]);
    },
    async stop(timeoutMs) {
      await boss.stop({ graceful: true, timeout: timeoutMs, wait: true });
    },
  };
}
