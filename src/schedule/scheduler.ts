/**
 * The scheduler: node-cron ticks, the ledger decides, the use-cases work. A tick (or a
 * catch-up on start, or `--once`) names a job and a slot; for each org the slot is claimed in
 * the ledger before any work, so a restart, an overlapping tick or a second replica never
 * runs it twice; the claim is kept alive by a heartbeat and ended with the job's outcome.
 * Nothing here knows what a crawl or a report is: jobs are functions (see jobs.ts).
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Kysely } from "kysely";
import type { OrgClient } from "../app/org-clients.ts";
import {
  scheduleJobNames,
  type ScheduleConfig,
  type ScheduleJobName,
} from "../config/sections/schedule.ts";
import type { Database } from "../db/schema.ts";
import type { ScheduleRunStatus, ScheduleTrigger } from "../db/tables/schedule.ts";
import type { Clock } from "../shared/clock.ts";
import { errorMessage } from "../shared/errors.ts";
import type { Logger } from "../shared/log.ts";
import { cronTicker, previousSlot, type Ticker, type TickerFactory } from "./cron.ts";
import {
  claimSlot,
  findLiveRun,
  findRun,
  finishSlot,
  markAbandoned,
  recordSkipped,
  rememberSchedule,
  renewLease,
  type Owner,
  type SlotKey,
} from "./ledger.repository.ts";

/** What a job is given for one org and slot. */
export interface JobContext {
  job: ScheduleJobName;
  org: OrgClient;
  slot: Date;
  /** Aborts on shutdown or when the claim was lost; stop at the next checkpoint. */
  signal: AbortSignal;
  log: Logger;
}

/** What a job reports; `summary` is stored in the ledger (never put a secret in it). */
export interface JobResult {
  status: "succeeded" | "failed" | "skipped";
  summary: Record<string, unknown>;
  error?: string;
}

export type JobRunner = (context: JobContext) => Promise<JobResult>;

/** The outcome of one (job, org, slot) as this scheduler saw it. */
export interface SlotOutcome {
  job: ScheduleJobName;
  org: string;
  slot: Date;
  /** `not-claimed`: another run holds or finished this slot; nothing was done here. */
  status: ScheduleRunStatus | "not-claimed";
  scheduleRunId?: number;
  /** For `not-claimed`: the status of the row that holds the slot. */
  existing?: ScheduleRunStatus;
  durationMs?: number;
  summary?: Record<string, unknown>;
  error?: string;
}

/** Hands a claimed slot to a queue instead of running it here (the pg-boss engine). */
export interface Dispatcher {
  /** @returns what the queue did with each org's job, for the fan-out row's summary. */
  enqueue(job: ScheduleJobName, orgs: OrgClient[], slot: Date): Promise<Record<string, string>>;
}

export interface SchedulerDeps {
  db: Kysely<Database>;
  clock: Clock;
  log: Logger;
  schedule: ScheduleConfig;
  orgs: OrgClient[];
  jobs: Record<ScheduleJobName, JobRunner>;
  ticker?: TickerFactory;
  /** Set for the pg-boss engine: ticks fan out to the queue; workers call runOrgSlot. */
  dispatcher?: Dispatcher;
  isAlive?: (pid: number) => boolean;
  onFinished?: (outcome: SlotOutcome) => void;
  /** Heartbeat timers (tests use fake timers); default the global ones. */
  setInterval?: (fn: () => void, ms: number) => unknown;
  clearInterval?: (handle: unknown) => void;
}

/** The fan-out row of a slot handed to a queue: the slot is claimed once for all orgs. */
export const FAN_OUT_ORG = "*";

/** Crawls are API-bound with a limiter per org: all orgs at once. Reports are CPU- and memory-bound. */
const ORGS_AT_ONCE: Record<ScheduleJobName, number> = { crawl: Infinity, report: 1, policy: 1 };

export class Scheduler {
  readonly owner: Owner = { id: randomUUID(), host: hostname(), pid: process.pid };
  readonly #deps: SchedulerDeps;
  readonly #stopping = new AbortController();
  readonly #tickers: Ticker[] = [];
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #knownSince = new Map<ScheduleJobName, Date>();

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
  }

  get leaseMs(): number {
    return this.#deps.schedule.leaseSeconds * 1000;
  }

  /** Jobs that run on their own (enabled in the config), in order. */
  enabledJobs(): ScheduleJobName[] {
    return scheduleJobNames.filter((job) => this.#deps.schedule.jobs[job].enabled);
  }

  /**
   * Marks abandoned runs interrupted, records each job's schedule and starts ticking. Call
   * `catchUp()` next for slots missed while no scheduler ran.
   * @throws when the ledger cannot be read (the database is unreachable).
   */
  async start(): Promise<void> {
    await this.#reap();
    const at = this.#deps.clock.now();
    for (const job of scheduleJobNames) {
      const { cron } = this.#deps.schedule.jobs[job];
      const since = await rememberSchedule(this.#deps.db, {
        job,
        cron,
        timezone: this.#deps.schedule.timezone,
        at,
      });
      this.#knownSince.set(job, since);
    }
    const ticker = this.#deps.ticker ?? cronTicker;
    for (const job of this.enabledJobs()) {
      const spec = {
        cron: this.#deps.schedule.jobs[job].cron,
        timezone: this.#deps.schedule.timezone,
      };
      const t = ticker(spec, (slot) => {
        void this.#track(this.runSlot(job, slot, "tick"));
      });
      t.start();
      this.#tickers.push(t);
    }
  }

  /**
   * For each enabled job, the latest slot due since its schedule became known runs once for
   * every org that has no row for it (or whose row was interrupted): once, however many slots
   * were missed. Jobs go in order (crawl, report, policy), so a report caught up after a
   * crawl sees its data. Call after `start()`.
   */
  catchUp(): Promise<SlotOutcome[]> {
    return this.#track(this.#catchUp());
  }

  async #catchUp(): Promise<SlotOutcome[]> {
    const outcomes: SlotOutcome[] = [];
    const now = this.#deps.clock.now();
    for (const job of this.enabledJobs()) {
      if (this.#stopping.signal.aborted) break;
      const since = this.#knownSince.get(job);
      if (!since) continue;
      const spec = {
        cron: this.#deps.schedule.jobs[job].cron,
        timezone: this.#deps.schedule.timezone,
      };
      const slot = previousSlot(spec, now, since);
      if (!slot) continue;
      outcomes.push(...(await this.runSlot(job, slot, "catch-up", { onlyUnfinished: true })));
    }
    return outcomes;
  }

  /** `reclaim schedule --once JOB`: the job now, for every org, through the same ledger. */
  async runOnce(job: ScheduleJobName): Promise<SlotOutcome[]> {
    await this.#reap();
    const slot = new Date(Math.floor(this.#deps.clock.now().getTime() / 1000) * 1000);
    return this.#track(this.runSlot(job, slot, "once"));
  }

  /**
   * Runs (or, with a dispatcher, enqueues) `job` at `slot` for every org.
   * @param onlyUnfinished skip orgs whose row exists and was not interrupted (catch-up)
   * @returns one outcome per org; never throws for a job's failure.
   */
  async runSlot(
    job: ScheduleJobName,
    slot: Date,
    trigger: ScheduleTrigger,
    options: { onlyUnfinished?: boolean } = {},
  ): Promise<SlotOutcome[]> {
    if (this.#stopping.signal.aborted) return [];
    try {
      if (this.#deps.dispatcher) return [await this.#fanOut(job, slot, trigger)];
      const orgs: OrgClient[] = [];
      for (const org of this.#deps.orgs) {
        if (options.onlyUnfinished) {
          const existing = await findRun(this.#deps.db, { job, org: org.ref, slot });
          if (existing && existing.status !== "interrupted" && existing.status !== "running")
            continue;
        }
        orgs.push(org);
      }
      return await mapLimited(orgs, ORGS_AT_ONCE[job], (org) =>
        this.runOrgSlot(job, org, slot, trigger),
      );
    } catch (error) {
      // The ledger itself failed (database down): nothing ran; say so and keep ticking.
      this.#deps.log.error(
        `scheduler: ${job} at ${slot.toISOString()} could not be claimed: ${errorMessage(error)}`,
        {
          job,
          slot: slot.toISOString(),
          trigger,
        },
      );
      return [];
    }
  }

  /**
   * Claims (job, org, slot) and runs the job for that org. A live run of the same job and
   * org at another slot makes this slot `skipped`, recorded with why.
   * @param retakeFailed take over a failed row (a queue retrying the same slot)
   * @returns the outcome; `not-claimed` when another run holds or finished the slot.
   */
  async runOrgSlot(
    job: ScheduleJobName,
    org: OrgClient,
    slot: Date,
    trigger: ScheduleTrigger,
    options: { retakeFailed?: boolean; signal?: AbortSignal } = {},
  ): Promise<SlotOutcome> {
    const { db, clock, log } = this.#deps;
    const key = { job, org: org.ref, slot } satisfies SlotKey;
    const ids = { job, org: org.ref, slot: slot.toISOString(), trigger };
    if (this.#stopping.signal.aborted) return { ...key, status: "not-claimed" };
    await this.#reap();

    const live = await findLiveRun(db, key, clock.now());
    if (live) {
      const reason = `the ${job} of slot ${live.slot.toISOString()} is still running (schedule run ${live.schedule_run_id}, pid ${live.owner_pid ?? "?"} on ${live.owner_host ?? "?"})`;
      const recorded = await recordSkipped(db, key, { trigger, at: clock.now(), reason });
      if (recorded) log.warn(`${job} of ${org.ref} skipped: ${reason}`, ids);
      return { ...key, status: recorded ? "skipped" : "not-claimed", summary: { reason } };
    }

    const claim = await claimSlot(db, key, {
      trigger,
      owner: this.owner,
      at: clock.now(),
      leaseMs: this.leaseMs,
      retakeFailed: options.retakeFailed ?? false,
    });
    if (!claim.claimed) {
      log.debug(`${job} of ${org.ref} at ${ids.slot}: already ${claim.run.status}`, ids);
      return {
        ...key,
        status: "not-claimed",
        scheduleRunId: claim.run.schedule_run_id,
        existing: claim.run.status,
      };
    }
    const run = claim.run;
    const runIds = { ...ids, scheduleRunId: run.schedule_run_id, attempt: run.attempts };
    log.info("job started", {
      ...runIds,
      ...(claim.takenOver ? { resumedFrom: "interrupted" } : {}),
    });

    const lost = new AbortController();
    const signal = AbortSignal.any([
      this.#stopping.signal,
      lost.signal,
      ...(options.signal ? [options.signal] : []),
    ]);
    const setTimer = this.#deps.setInterval ?? ((fn, ms) => setInterval(fn, ms));
    const clearTimer =
      this.#deps.clearInterval ?? ((h) => clearInterval(h as ReturnType<typeof setInterval>));
    const heartbeat = setTimer(
      () => {
        renewLease(db, run.schedule_run_id, this.owner, clock.now(), this.leaseMs).then(
          (held) => {
            if (!held)
              lost.abort(new Error("this run's claim was taken over by another scheduler"));
          },
          (error: unknown) => log.warn(`heartbeat failed: ${errorMessage(error)}`, runIds),
        );
      },
      Math.max(1000, Math.floor(this.leaseMs / 3)),
    );

    let result: JobResult;
    try {
      result = await this.#deps.jobs[job]({ job, org, slot, signal, log });
    } catch (error) {
      result = { status: "failed", summary: {}, error: errorMessage(error) };
    } finally {
      clearTimer(heartbeat);
    }
    const status: Exclude<ScheduleRunStatus, "running"> =
      signal.aborted && result.status !== "succeeded" ? "interrupted" : result.status;
    const error =
      status === "interrupted"
        ? `interrupted: ${errorMessage(signal.reason)}; the next run resumes from the checkpoint`
        : (result.error ?? null);
    const at = clock.now();
    const durationMs = Math.max(0, at.getTime() - run.started_at.getTime());
    const finished = await finishSlot(db, run, this.owner, {
      status,
      at,
      summary: result.summary,
      error,
    }).catch((e: unknown) => {
      log.error(`could not record the end of ${job} of ${org.ref}: ${errorMessage(e)}`, runIds);
      return false;
    });
    const outcome: SlotOutcome = {
      ...key,
      status,
      scheduleRunId: run.schedule_run_id,
      durationMs,
      summary: result.summary,
      ...(error ? { error } : {}),
    };
    const fields = {
      ...runIds,
      status,
      durationMs,
      ...result.summary,
      ...(error ? { error } : {}),
    };
    if (!finished) log.warn("job finished, but its claim had been taken over", fields);
    else if (status === "succeeded" || status === "skipped") log.info("job finished", fields);
    else log.error("job finished", fields);
    this.#deps.onFinished?.(outcome);
    return outcome;
  }

  /**
   * A queue worker's run of one (job, org, slot): a failed row of the same slot is taken
   * over, since the queue retries it on purpose.
   */
  runQueued(job: ScheduleJobName, org: OrgClient, slot: Date): Promise<SlotOutcome> {
    return this.#track(this.runOrgSlot(job, org, slot, "queue", { retakeFailed: true }));
  }

  /** Whether stop() was called. */
  get stopping(): boolean {
    return this.#stopping.signal.aborted;
  }

  /** Stops ticking, aborts running jobs at their next checkpoint and waits for them to end. */
  async stop(reason = "the scheduler is stopping"): Promise<void> {
    for (const t of this.#tickers.splice(0)) t.stop();
    this.#stopping.abort(new Error(reason));
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  async #fanOut(job: ScheduleJobName, slot: Date, trigger: ScheduleTrigger): Promise<SlotOutcome> {
    const { db, clock, log } = this.#deps;
    const key = { job, org: FAN_OUT_ORG, slot } satisfies SlotKey;
    const claim = await claimSlot(db, key, {
      trigger,
      owner: this.owner,
      at: clock.now(),
      leaseMs: this.leaseMs,
    });
    if (!claim.claimed)
      return { ...key, status: "not-claimed", scheduleRunId: claim.run.schedule_run_id };
    const ids = {
      job,
      org: FAN_OUT_ORG,
      slot: slot.toISOString(),
      trigger,
      scheduleRunId: claim.run.schedule_run_id,
    };
    try {
      const queued = await this.#deps.dispatcher!.enqueue(job, this.#deps.orgs, slot);
      await finishSlot(db, claim.run, this.owner, {
        status: "succeeded",
        at: clock.now(),
        summary: { queued },
      });
      log.info("job queued", { ...ids, queued });
      return {
        ...key,
        status: "succeeded",
        scheduleRunId: claim.run.schedule_run_id,
        summary: { queued },
      };
    } catch (error) {
      const message = errorMessage(error);
      await finishSlot(db, claim.run, this.owner, {
        status: "failed",
        at: clock.now(),
        error: message,
      });
      log.error(`could not queue ${job} at ${ids.slot}: ${message}`, ids);
      return { ...key, status: "failed", error: message };
    }
  }

  async #reap(): Promise<void> {
    const marked = await markAbandoned(this.#deps.db, {
      at: this.#deps.clock.now(),
      host: this.owner.host,
      isAlive: this.#deps.isAlive ?? pidIsRunning,
    });
    for (const run of marked) {
      this.#deps.log.warn("job interrupted", {
        job: run.job,
        org: run.org,
        slot: run.slot.toISOString(),
        scheduleRunId: run.schedule_run_id,
        error: run.error,
      });
    }
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#inFlight.add(promise);
    void promise.finally(() => this.#inFlight.delete(promise)).catch(() => undefined);
    return promise;
  }
}

function pidIsRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Maps with at most `limit` calls in flight, keeping the input order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(lanes);
  return results;
}
