/**
 * Crawls one org into the database: catalog → users → per-user reads → finalise. A run is
 * claimed first: an unfinished run whose process is gone is resumed from its checkpoint; a
 * run still owned by a live process makes this crawl refuse to start.
 */
import { hostname } from "node:os";
import { discoverOrgId, getOrg, type AtlassianClient } from "../atlassian/index.ts";
import type { CrawlStrategy } from "../config/sections/crawl.ts";
import {
  createRun,
  findRunningRun,
  finishRun,
  updateRun,
  upsertOrg,
} from "../db/repositories/crawl-runs.repository.ts";
import type { CrawlRun, Database } from "../db/schema.ts";
import type { Clock } from "../shared/clock.ts";
import type { Logger } from "../shared/log.ts";
import type { Kysely } from "kysely";
import type { Checkpoint, CrawlContext, CrawlProgress } from "./context.ts";
import { crawlCatalog, loadCatalog } from "./phases/catalog.ts";
import { finaliseRun } from "./phases/finalise.ts";
import { crawlPerUser, queueSample } from "./phases/per-user.ts";
import { crawlUsers } from "./phases/users.ts";
import type { CrawlMetrics, RequestMeter } from "./metrics.ts";

/** A crawl that must not start (another one is running) or cannot go on. */
export class CrawlError extends Error {
  override name = "CrawlError";
}

export interface CrawlOrgDeps {
  db: Kysely<Database>;
  client: AtlassianClient;
  meter: RequestMeter;
  clock: Clock;
  log: Logger;
}

export interface CrawlOrgOptions {
  /** Discovered from the key (GET /admin/v1/orgs) when absent. */
  orgId?: string | undefined;
  strategy: CrawlStrategy;
  concurrency: number;
  crossCheckSample: number;
  lastActivePerMinute: number;
  signal?: AbortSignal;
  onProgress?: (p: CrawlProgress) => void;
  /** Consider a running run abandoned when its heartbeat is older than this (other hosts). */
  staleAfterMs?: number;
}

export interface CrawlOrgResult extends CrawlMetrics {
  orgId: string;
  orgName: string | null;
  runId: number;
  status: "succeeded" | "incomplete" | "failed";
  strategy: CrawlStrategy;
  resumed: boolean;
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

  const { run, resumed } = await claimRun(db, orgId, options, started);
  const checkpoint = run.checkpoint as unknown as Checkpoint;
  const strategy = run.strategy as CrawlStrategy;
  if (resumed) {
    log.info(`resuming crawl run ${run.run_id} of org ${orgId}`, {
      strategy,
      pagesAlreadyStored: checkpoint.usersPages,
    });
  }
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
    signal: options.signal,
    onProgress: options.onProgress ?? (() => undefined),
    checkpoint,
  };

  const base = {
    orgId,
    orgName: org.name,
    runId: run.run_id,
    strategy,
    resumed,
  };
  try {
    const catalog = checkpoint.catalogDone ? await loadCatalog(ctx) : await crawlCatalog(ctx);
    if (!checkpoint.catalogDone) {
      checkpoint.catalogDone = true;
      await updateRun(db, run.run_id, { checkpoint: { ...checkpoint } });
    }
    if (!checkpoint.usersDone) await crawlUsers(ctx, catalog);
    await queueSample(ctx);
    const perUserStart = meter.count("last-active-dates");
    const perUserStarted = Date.now();
    // Queued per-user work: last-active-dates where bulk data was missing (none with `bulk`
    // unless a page lacked it), the cross-check sample, and direct-role reads (every strategy).
    await crawlPerUser(ctx, catalog);
    const perUserCalls = meter.count("last-active-dates") - perUserStart;
    const metrics = meter.metrics(checkpoint.carried, {
      calls: perUserCalls,
      ms: Date.now() - perUserStarted,
      limitPerMinute: options.lastActivePerMinute,
    });
    const result = await finaliseRun(ctx, { ...metrics });
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
    const message = error instanceof Error ? error.message : String(error);
    const metrics = meter.metrics(checkpoint.carried);
    await updateRun(db, run.run_id, { summary: { ...metrics } });
    await finishRun(db, run.run_id, { status: "failed", at: clock.now(), error: message });
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
  }
}

async function claimRun(
  db: Kysely<Database>,
  orgId: string,
  options: CrawlOrgOptions,
  at: Date,
): Promise<{ run: CrawlRun; resumed: boolean }> {
  const owner = { pid: process.pid, host: hostname() };
  const existing = await findRunningRun(db, orgId);
  if (existing) {
    const previous = existing.checkpoint as unknown as Checkpoint;
    if (
      ownerIsAlive(previous.owner, existing.heartbeat_at, at, options.staleAfterMs ?? 5 * 60_000)
    ) {
      throw new CrawlError(
        `another crawl of org ${orgId} is running (run ${existing.run_id}, pid ${previous.owner.pid} on ${previous.owner.host}); wait for it or stop it`,
      );
    }
    const summary = existing.summary as {
      apiCalls?: Record<string, number>;
      rateLimited?: number;
      retries?: number;
    };
    const checkpoint: Checkpoint = {
      ...previous,
      owner,
      carried: {
        apiCalls: summary.apiCalls ?? previous.carried?.apiCalls ?? {},
        rateLimited: summary.rateLimited ?? previous.carried?.rateLimited ?? 0,
        retries: summary.retries ?? previous.carried?.retries ?? 0,
      },
    };
    await updateRun(db, existing.run_id, { checkpoint: { ...checkpoint }, heartbeatAt: at });
    return { run: { ...existing, checkpoint: { ...checkpoint } }, resumed: true };
  }
  const checkpoint: Checkpoint = {
    owner,
    catalogDone: false,
    usersDone: false,
    usersPages: 0,
    sampleQueued: false,
  };
  const run = await createRun(db, {
    orgId,
    strategy: options.strategy,
    at,
    checkpoint: { ...checkpoint },
  });
  return { run, resumed: false };
}

function ownerIsAlive(
  owner: Checkpoint["owner"] | undefined,
  heartbeat: Date,
  now: Date,
  staleAfterMs: number,
): boolean {
  if (!owner) return false;
  if (owner.host === hostname()) {
    if (owner.pid === process.pid) return false;
    try {
      process.kill(owner.pid, 0);
      return true;
    } catch {
      return false;
    }
  }
  return now.getTime() - heartbeat.getTime() < staleAfterMs;
}
