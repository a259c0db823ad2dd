/**
 * Crawls one org into the database: catalog → users → per-user reads → finalise. The run is
 * claimed first (run-claim.ts): an unfinished run — killed, failed or incomplete — is resumed
 * from its checkpoint; a run held by a live crawl makes this one refuse to start. While it
 * works the crawl keeps its lease (a heartbeat) and stops if another process takes it over.
 * When the database goes away for a moment the crawl waits, reloads its checkpoint and goes
 * on; when it stays away, the crawl stops at its checkpoint and resumes next time.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { discoverOrgId, getOrg, type AtlassianClient } from "../atlassian/index.ts";
import type { CrawlStrategy } from "../config/sections/crawl.ts";
import { isTransientDatabaseError } from "../db/errors.ts";
import {
  finishRun,
  getRun,
  requeueTransientFailures,
  updateRun,
  upsertOrg,
} from "../db/repositories/crawl-runs.repository.ts";
import type { Database } from "../db/schema.ts";
import type { Clock } from "../shared/clock.ts";
import type { Logger } from "../shared/log.ts";
import { sharedSignal } from "../shared/signals.ts";
import type { Kysely } from "kysely";
import type { Checkpoint, CrawlContext, CrawlProgress } from "./context.ts";
import { crawlCatalog, loadCatalog } from "./phases/catalog.ts";
import { finaliseRun, type FinaliseResult } from "./phases/finalise.ts";
import {
  CheckFeed,
  crawlPerUser,
  escalateOnDisagreement,
  queueSample,
  readChecksAlongside,
} from "./phases/per-user.ts";
import { crawlUsers } from "./phases/users.ts";
import type { CrawlMetrics, RequestMeter } from "./metrics.ts";
import type { ProductCatalog } from "./product-catalog.ts";
import { claimRun, CrawlError, keepLease, releaseRun } from "./run-claim.ts";

export { CrawlError } from "./run-claim.ts";

export interface CrawlOrgDeps {
  db: Kysely<Database>;
  client: AtlassianClient;
  meter: RequestMeter;
  clock: Clock;
  log: Logger;
  /** Where the data lives, for messages (never a password). */
  databaseLocation?: string;
}

export interface CrawlOrgOptions {
  /** Discovered from the key (GET /admin/v1/orgs) when absent. */
  orgId?: string | undefined;
  strategy: CrawlStrategy;
  /** The strategy was given explicitly: an unfinished run with another strategy is given up. */
  strategyGiven?: boolean;
  /** Give up any unfinished run and start anew. */
  restart?: boolean;
  concurrency: number;
  crossCheckSample: number;
  lastActivePerMinute: number;
  signal?: AbortSignal;
  onProgress?: (p: CrawlProgress) => void;
  /** A running run whose heartbeat is older than this belongs to a dead process. Default 2 min. */
  leaseMs?: number;
  /** An unfinished run that started longer ago is given up, not resumed. Default 24 h. */
  maxResumeAgeMs?: number;
  /** How long to keep retrying when the database goes away. Default 2 min. */
  databaseRetryMs?: number;
  /**
   * Share of the cross-check sample that may disagree with the bulk data before the run
   * reads every user's activity per user instead (`auto`). Default 0.1.
   */
  maxSampleDisagreement?: number;
}

export interface CrawlOrgResult extends CrawlMetrics {
  orgId: string;
  orgName: string | null;
  runId: number;
  status: "succeeded" | "incomplete" | "failed";
  strategy: CrawlStrategy;
  resumed: boolean;
  /** Why the run was resumed, when it was. */
  resumedBecause?: string;
  users: number;
  usersFailed: number;
  products: number;
  removed: number;
  sampled: number;
  disagreements: number;
  durationMs: number;
  error?: string;
}

export async function crawlOrg(
  deps: CrawlOrgDeps,
  options: CrawlOrgOptions,
): Promise<CrawlOrgResult> {
  const { db, client, clock, log, meter } = deps;
  const started = clock.now();
  const orgId = options.orgId ?? (await discoverOrgId(client));
  const org = await getOrg(client, {
    orgId,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  await upsertOrg(db, { orgId, name: org.name }, started);

  const leaseMs = options.leaseMs ?? 120_000;
  const claim = await claimRun(deps, orgId, {
    strategy: options.strategy,
    strategyGiven: options.strategyGiven ?? false,
    restart: options.restart ?? false,
    leaseMs,
    maxResumeAgeMs: options.maxResumeAgeMs ?? 24 * 3_600_000,
  });
  const { run, checkpoint } = claim;
  const strategy = run.strategy as CrawlStrategy;
  for (const a of claim.abandoned) {
    log.warn(`gave up crawl run ${a.runId} of org ${orgId}: ${a.why}; starting anew`, {
      orgId,
      runId: a.runId,
    });
  }
  if (claim.resumed) {
    log.info(
      `resuming crawl run ${run.run_id} of org ${orgId} (${strategy}, started ${hours(claim.resumed.ageMs)} ago): ${claim.resumed.why}`,
      { orgId, runId: run.run_id, strategy, pagesAlreadyStored: checkpoint.usersPages },
    );
  }

  // The crawl stops when its caller says so, or when it loses its lease.
  const lease = new AbortController();
  const signal = sharedSignal(options.signal, lease.signal);
  const stopLease = keepLease(deps, run.run_id, checkpoint.owner.token, leaseMs / 4, () =>
    lease.abort(
      new CrawlError(
        `another process took over crawl run ${run.run_id} of org ${orgId} (this one missed its heartbeat for ${Math.round(leaseMs / 1000)} s); this process stops`,
      ),
    ),
  );
  const ctx: CrawlContext = {
    db,
    client,
    clock,
    log,
    orgId,
    runId: run.run_id,
    strategy,
    concurrency: options.concurrency,
    crossCheckSample: options.crossCheckSample,
    lastActivePerMinute: options.lastActivePerMinute,
    signal,
    onProgress: (p) => options.onProgress?.({ ...p, orgName: org.name }),
    checkpoint,
  };
  const base = {
    orgId,
    orgName: org.name,
    runId: run.run_id,
    strategy,
    resumed: claim.resumed !== undefined,
    ...(claim.resumed ? { resumedBecause: claim.resumed.why } : {}),
  };

  try {
    const { result, metrics } = await withDatabaseRetry(deps, ctx, options, () =>
      runPhases(ctx, meter, options),
    );
    const products = await db
      .selectFrom("products")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("org_id", "=", orgId)
      .executeTakeFirstOrThrow();
    ctx.onProgress({ orgId, phase: "done", done: result.users, total: result.users });
    return {
      ...base,
      ...metrics,
      status: result.status,
      users: result.users,
      usersFailed: result.usersFailed,
      products: products.n,
      removed: result.removed,
      sampled: result.sampled,
      disagreements: result.disagreements.length,
      durationMs: clock.now().getTime() - started.getTime(),
    };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const lost = lease.signal.aborted;
    const message = lost
      ? (lease.signal.reason as Error).message
      : error instanceof Error
        ? error.message
        : String(error);
    const metrics = meter.metrics(checkpoint.carried);
    // A crawl that lost its lease or its database leaves the run as it is: the next crawl
    // resumes it from the checkpoint. Any other failure is recorded (and resumed next time).
    if (!lost && !isTransientDatabaseError(error) && !(error instanceof DatabaseGoneError)) {
      await updateRun(db, run.run_id, { summary: { ...metrics } });
      await finishRun(db, run.run_id, { status: "failed", at: clock.now(), error: message });
    }
    log.error(`crawl of org ${orgId} failed: ${message}`, { runId: run.run_id });
    return {
      ...base,
      ...metrics,
      status: "failed",
      users: 0,
      usersFailed: 0,
      products: 0,
      removed: 0,
      sampled: 0,
      disagreements: 0,
      durationMs: clock.now().getTime() - started.getTime(),
      error: message,
    };
  } finally {
    stopLease();
    releaseRun(checkpoint.owner.token);
  }
}

async function runPhases(
  ctx: CrawlContext,
  meter: RequestMeter,
  options: CrawlOrgOptions,
): Promise<{ result: FinaliseResult; metrics: CrawlMetrics }> {
  const { db, checkpoint } = ctx;
  const catalog = checkpoint.catalogDone ? await loadCatalog(ctx) : await crawlCatalog(ctx);
  if (!checkpoint.catalogDone) {
    checkpoint.catalogDone = true;
    await updateRun(db, ctx.runId, { checkpoint: { ...checkpoint } });
  }
  const perUserStart = meter.count("last-active-dates");
  const perUserStarted = Date.now();
  // Per-user work: last-active-dates where bulk data was missing or unknown (every user with
  // `per-user`, none with `bulk` unless a page lacked it), direct-role reads (every strategy)
  // and groups a page did not carry. It starts as soon as the first page is stored.
  if (!checkpoint.usersDone) await walkUsersAndRead(ctx, catalog);
  await queueSample(ctx);
  // What is left: the cross-check sample, and work queued before a resume.
  await crawlPerUser(ctx, catalog);
  if (await escalateOnDisagreement(ctx, options.maxSampleDisagreement ?? 0.1)) {
    await crawlPerUser(ctx, catalog);
  }
  // One more pass over the reads whose failure may pass (a 500, the network, a 429).
  if (!checkpoint.retriedFailures) {
    const again = await requeueTransientFailures(db, ctx.runId);
    checkpoint.retriedFailures = true;
    await updateRun(db, ctx.runId, { checkpoint: { ...checkpoint } });
    if (again > 0) {
      ctx.log.info(
        `reading ${again} user(s) once more: their reads failed for a reason that may pass`,
        {
          orgId: ctx.orgId,
          runId: ctx.runId,
        },
      );
      await crawlPerUser(ctx, catalog);
    }
  }
  const perUserCalls = meter.count("last-active-dates") - perUserStart;
  const metrics = meter.metrics(checkpoint.carried, {
    calls: perUserCalls,
    ms: Date.now() - perUserStarted,
    limitPerMinute: options.lastActivePerMinute,
  });
  const result = await finaliseRun(ctx, { ...metrics });
  return { result, metrics };
}

/**
 * The users walk, with the per-user reads of each stored page running beside it. Whichever
 * fails first stops the other, and its error is the one thrown.
 */
async function walkUsersAndRead(ctx: CrawlContext, catalog: ProductCatalog): Promise<void> {
  const feed = new CheckFeed();
  const stop = new AbortController();
  const both: CrawlContext = { ...ctx, signal: sharedSignal(ctx.signal, stop.signal) };
  let first: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    first ??= { error };
    stop.abort(error);
    feed.close();
  };
  const reads = readChecksAlongside(both, catalog, feed).catch(fail);
  await crawlUsers(both, catalog, (checks) => feed.push(checks)).catch(fail);
  feed.close();
  await reads;
  if (first) throw first.error;
}

/** The database stayed away longer than the crawl waits for it. */
class DatabaseGoneError extends CrawlError {
  override name = "DatabaseGoneError";
}

/**
 * Runs the phases, and when the database goes away (a restart, a dropped connection) waits
 * with backoff, reloads the checkpoint the database holds and runs them again: every phase
 * resumes from what was committed. Gives up after `databaseRetryMs` with one line naming the
 * database (never its password).
 */
async function withDatabaseRetry<T>(
  deps: CrawlOrgDeps,
  ctx: CrawlContext,
  options: CrawlOrgOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const budgetMs = options.databaseRetryMs ?? 120_000;
  let firstFailure: number | undefined;
  const base = ctx.signal;
  for (let attempt = 1; ; attempt++) {
    // Each attempt has a signal of its own: when an attempt fails, every request it still
    // has queued or in flight is cancelled before anything else happens (nothing more is
    // sent for a run that failed, and nothing keeps the process alive).
    const current = new AbortController();
    ctx.signal = sharedSignal(base, current.signal);
    try {
      return await fn();
    } catch (error) {
      current.abort(error);
      ctx.signal = base;
      if (base?.aborted || !isTransientDatabaseError(error)) throw error;
      const now = Date.now();
      firstFailure ??= now;
      const where = deps.databaseLocation ?? "the database";
      const code = (error as { code?: string }).code;
      const delay = Math.min(30_000, 500 * 2 ** (attempt - 1));
      if (now + delay - firstFailure > budgetMs) {
        throw new DatabaseGoneError(
          `lost the connection to ${where}${code ? ` (${code})` : ""} and could not get it back for ${Math.round(budgetMs / 1000)} s; crawl run ${ctx.runId} stopped at its checkpoint and resumes the next time it runs`,
        );
      }
      deps.log.warn(
        `${where} is unreachable${code ? ` (${code})` : ""}; retry ${attempt} in ${Math.round(delay / 100) / 10} s, then the crawl goes on from its checkpoint`,
        { orgId: ctx.orgId, runId: ctx.runId },
      );
      await sleep(delay, undefined, ctx.signal ? { signal: ctx.signal } : {});
      try {
        const stored = await getRun(ctx.db, ctx.runId);
        Object.assign(ctx.checkpoint, stored.checkpoint as Partial<Checkpoint>, {
          owner: ctx.checkpoint.owner,
        });
      } catch (reload) {
        if (!isTransientDatabaseError(reload)) throw reload;
        // still away: the next attempt fails fast and waits again
      }
    } finally {
      ctx.signal = base;
    }
  }
}

function hours(ms: number): string {
  const min = Math.round(ms / 60_000);
  return min < 120 ? `${min} min` : `${Math.round(min / 60)} h`;
}
