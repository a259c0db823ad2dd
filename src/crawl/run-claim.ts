/**
 * Claiming an org's crawl run, so that two processes (or two crawls in one process) never
 * crawl one org at once, and an unfinished run is resumed from its checkpoint instead of
 * starting again from page 1.
 *
 * The database enforces "one running run per org" (a partial unique index), so every claim
 * is one atomic statement: insert a new running run, reopen a failed/incomplete one, or take
 * over a running one whose owner is gone (compare-and-swap on its heartbeat). A claim that
 * loses the race sees the winner on its next look and refuses with a clear message.
 *
 * A running run's owner is alive when it is a crawl of this process, or a live pid on this
 * host, or (other hosts) its heartbeat is younger than the lease.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { sql, type Kysely } from "kysely";
import {
  abandonRun,
  findRunningRun,
  insertRunningRun,
  latestRun,
  reopenRun,
  takeOverRun,
} from "../db/repositories/crawl-runs.repository.ts";
import type { CrawlRun, Database } from "../db/schema.ts";
import type { Clock } from "../shared/clock.ts";
import type { Logger } from "../shared/log.ts";
import type { CrawlStrategy } from "../config/sections/crawl.ts";
import type { Checkpoint, RunOwner } from "./context.ts";

/** A crawl that must not start (another one is running) or cannot go on. */
export class CrawlError extends Error {
  override name = "CrawlError";
}

/**
 * Owner tokens of the claims this process holds or is making right now. A token is added
 * before its claim is written, so another crawl in this process never sees a run it is
 * claiming as abandoned.
 */
const ownTokens = new Set<string>();

export interface ClaimOptions {
  strategy: CrawlStrategy;
  /** The strategy was asked for explicitly (a flag): an unfinished run with another one is given up. */
  strategyGiven: boolean;
  /** Give up any unfinished run and start a new one (`reclaim crawl --restart`). */
  restart: boolean;
  /** A running run whose heartbeat is older than this belongs to a dead process. */
  leaseMs: number;
  /** An unfinished run that started longer ago than this is given up, not resumed. */
  maxResumeAgeMs: number;
}

export interface ClaimedRun {
  run: CrawlRun;
  checkpoint: Checkpoint;
  /** Set when an unfinished run is resumed: why, and how it stood. */
  resumed?: { why: string; previousStatus: string; ageMs: number };
  /** Runs given up on the way, with why (printed for the user). */
  abandoned: { runId: number; why: string }[];
}

/**
 * Claims the org's crawl: resumes its unfinished run, or starts a new one.
 * @throws CrawlError when another live crawl of the org holds it
 */
export async function claimRun(
  deps: { db: Kysely<Database>; clock: Clock; log: Logger },
  orgId: string,
  options: ClaimOptions,
): Promise<ClaimedRun> {
  const { db, clock } = deps;
  const abandoned: ClaimedRun["abandoned"] = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    const at = clock.now();
    const owner: RunOwner = { pid: process.pid, host: hostname(), token: randomUUID() };
    ownTokens.add(owner.token);
    try {
      const running = await findRunningRun(db, orgId);
      if (running) {
        const holder = checkpointOf(running).owner;
        if (ownerIsAlive(running, holder, at, options.leaseMs)) {
          ownTokens.delete(owner.token);
          throw new CrawlError(
            `another crawl of org ${orgId} is running (run ${running.run_id}${describeOwner(holder)}, last heartbeat ${ago(at, running.heartbeat_at)} ago); wait for it to finish, or stop it and run again to resume it`,
          );
        }
        const giveUp = reasonToAbandon(running, options, at);
        if (giveUp === null) {
          const checkpoint = { ...resumedCheckpoint(running), owner };
          const taken = await takeOverRun(db, running, { at, checkpoint: { ...checkpoint } });
          if (taken === null) {
            ownTokens.delete(owner.token);
            continue;
          }
          return {
            run: taken,
            checkpoint,
            resumed: {
              why: `its process${describeOwner(holder)} stopped before it finished`,
              previousStatus: "running",
              ageMs: at.getTime() - running.started_at.getTime(),
            },
            abandoned,
          };
        }
        ownTokens.delete(owner.token);
        await abandonRun(db, running.run_id, at, giveUp);
        abandoned.push({ runId: running.run_id, why: giveUp });
        continue;
      }
      const latest = await latestRun(db, orgId);
      if (latest && (latest.status === "failed" || latest.status === "incomplete")) {
        const giveUp = reasonToAbandon(latest, options, at);
        if (giveUp === null) {
          const checkpoint = { ...resumedCheckpoint(latest), owner };
          const reopened = await reopenRun(db, latest, { at, checkpoint: { ...checkpoint } });
          if (reopened === null) {
            ownTokens.delete(owner.token);
            continue;
          }
          return {
            run: reopened,
            checkpoint,
            resumed: {
              why:
                latest.status === "failed"
                  ? `it failed (${latest.error ?? "no reason recorded"}); only what is not stored yet is read again`
                  : `it ended incomplete (${latest.users_failed} user(s) could not be read); only those are read again`,
              previousStatus: latest.status,
              ageMs: at.getTime() - latest.started_at.getTime(),
            },
            abandoned,
          };
        }
        await abandonRun(db, latest.run_id, at, giveUp);
        abandoned.push({ runId: latest.run_id, why: giveUp });
      }
      const checkpoint: Checkpoint = {
        owner,
        catalogDone: false,
        usersDone: false,
        usersPages: 0,
        sampleQueued: false,
      };
      const created = await insertRunningRun(db, {
        orgId,
        strategy: options.strategy,
        at,
        checkpoint: { ...checkpoint },
      });
      if (created === null) {
        ownTokens.delete(owner.token);
        continue;
      }
      return { run: created, checkpoint, abandoned };
    } catch (error) {
      ownTokens.delete(owner.token);
      throw error;
    }
  }
  throw new CrawlError(
    `could not claim a crawl of org ${orgId}: other processes keep claiming it; try again in a minute`,
  );
}

/** The claim with this owner token is no longer held by this process. */
export function releaseRun(token: string): void {
  ownTokens.delete(token);
}

/** Why an unfinished run must not be resumed, or null to resume it. */
function reasonToAbandon(run: CrawlRun, o: ClaimOptions, at: Date): string | null {
  if (o.restart) return "--restart was given";
  if (o.strategyGiven && run.strategy !== o.strategy)
    return `--strategy ${o.strategy} was given and it ran with ${run.strategy}`;
  const age = at.getTime() - run.started_at.getTime();
  if (age > o.maxResumeAgeMs)
    return `it started ${ago(at, run.started_at)} ago, longer than crawl.maxResumeAgeHours (${Math.round(o.maxResumeAgeMs / 3_600_000)} h): its data would be too old to mix with new reads`;
  return null;
}

/** The checkpoint of a run to resume, with the counters of its earlier sessions carried over. */
function resumedCheckpoint(run: CrawlRun): Checkpoint {
  const previous = checkpointOf(run);
  const summary = run.summary as {
    apiCalls?: Record<string, number>;
    rateLimited?: number;
    retries?: number;
  };
  return {
    ...previous,
    carried: {
      apiCalls: summary.apiCalls ?? previous.carried?.apiCalls ?? {},
      rateLimited: summary.rateLimited ?? previous.carried?.rateLimited ?? 0,
      retries: summary.retries ?? previous.carried?.retries ?? 0,
    },
  };
}

function checkpointOf(run: CrawlRun): Checkpoint {
  const c = run.checkpoint as Partial<Checkpoint>;
  return {
    owner: c.owner ?? { pid: 0, host: "", token: "" },
    catalogDone: c.catalogDone ?? false,
    usersCursor: c.usersCursor,
    usersDone: c.usersDone ?? false,
    usersPages: c.usersPages ?? 0,
    usersTotal: c.usersTotal,
    sampleQueued: c.sampleQueued ?? false,
    ...(c.escalated ? { escalated: true } : {}),
    ...(c.carried ? { carried: c.carried } : {}),
  };
}

function ownerIsAlive(run: CrawlRun, owner: RunOwner, now: Date, leaseMs: number): boolean {
  const fresh = now.getTime() - run.heartbeat_at.getTime() < leaseMs;
  if (owner.host === hostname()) {
    if (owner.pid === process.pid) return ownTokens.has(owner.token);
    try {
      process.kill(owner.pid, 0);
    } catch {
      return false; // no such process
    }
    // A live pid with a stale heartbeat is a reused pid or a hung process.
    return fresh;
  }
  return fresh;
}

function describeOwner(owner: RunOwner): string {
  return owner.pid ? `, pid ${owner.pid} on ${owner.host}` : "";
}

function ago(now: Date, then: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - then.getTime()) / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

/**
 * Keeps the run's lease: writes its heartbeat every `everyMs` while the crawl works (also
 * through long rate-limit waits) and calls `onLost` when another process has taken the run
 * over (its owner token is no longer ours), so the crawl stops instead of writing beside it.
 */
export function keepLease(
  deps: { db: Kysely<Database>; clock: Clock; log: Logger },
  runId: number,
  token: string,
  everyMs: number,
  onLost: () => void,
): () => void {
  const timer = setInterval(() => {
    void (async () => {
      try {
        const result = await deps.db
          .updateTable("crawl_runs")
          .set({ heartbeat_at: deps.clock.now() })
          .where("run_id", "=", runId)
          .where("status", "=", "running")
          .where(sql<boolean>`checkpoint->'owner'->>'token' = ${token}`)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) onLost();
      } catch (error) {
        // The database may be away for a moment; the crawl's own statements will say so.
        deps.log.debug("could not write the crawl heartbeat", { runId, error: String(error) });
      }
    })();
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Gives up the org's unfinished run (`reclaim crawl --abandon`): a running run whose owner is
 * gone, or a failed/incomplete one that would otherwise be resumed.
 * @returns what was abandoned, or null when there was nothing to abandon
 * @throws CrawlError when a live crawl holds the run
 */
export async function abandonUnfinished(
  deps: { db: Kysely<Database>; clock: Clock },
  orgId: string,
  leaseMs: number,
): Promise<{ runId: number; status: string } | null> {
  const at = deps.clock.now();
  const running = await findRunningRun(deps.db, orgId);
  if (running) {
    const holder = checkpointOf(running).owner;
    if (ownerIsAlive(running, holder, at, leaseMs)) {
      throw new CrawlError(
        `run ${running.run_id} of org ${orgId} is being crawled now${describeOwner(holder)}; stop that process first`,
      );
    }
    await abandonRun(deps.db, running.run_id, at, "reclaim crawl --abandon");
    return { runId: running.run_id, status: "running" };
  }
  const latest = await latestRun(deps.db, orgId);
  if (latest && (latest.status === "failed" || latest.status === "incomplete")) {
    await abandonRun(deps.db, latest.run_id, at, "reclaim crawl --abandon");
    return { runId: latest.run_id, status: latest.status };
  }
  return null;
}
