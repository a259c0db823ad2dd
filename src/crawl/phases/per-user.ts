/**
 * Phase 3: one last-active-dates call per user that needs it — every user with `per-user`,
 * with `auto` only those the bulk call said nothing about, plus a small random sample
 * cross-checked against the bulk data (the two sources are not proven to agree) — and one
 * role-assignments call per user who holds a role directly (see users.ts), to find seats
 * granted directly that were never used.
 *
 * The reads start as soon as the users walk has stored its first page (readChecksAlongside,
 * fed by the walk); what is left after it, or after a resume, is read from the queue in the
 * database (crawlPerUser), as are the cross-check sample and any second pass.
 *
 * Calls run concurrently, paced by the client's limiter at the org's ceiling. Results are
 * committed in small batches together with the work items they complete, so a killed crawl
 * loses at most one batch. A failed read marks the user failed — never "not active".
 */
import { sql } from "kysely";
import {
  getLastActiveDates,
  isAtlassianApiError,
  listUserRoleAssignments,
  NotFoundError,
  searchGroupPages,
} from "../../atlassian/index.ts";
import { coerceError } from "../../shared/errors.ts";
import {
  completeUserChecks,
  countUserChecks,
  pendingUserChecks,
  queueFillForEveryone,
  queueUserChecks,
  sampleDisagreements,
  recordErrors,
  updateRun,
  type CheckPurpose,
  type CrawlErrorInput,
  type QueuedCheck,
} from "../../db/repositories/crawl-runs.repository.ts";
import {
  activityOf,
  markGone,
  replaceActivity,
  replaceDirectRoles,
  replaceGroupsOf,
  type ActivityInput,
  type DirectRolesInput,
} from "../../db/repositories/org-data.repository.ts";
import { etaTracker } from "../../shared/eta.ts";
import { sharedSignal } from "../../shared/signals.ts";
import type { CrawlContext } from "../context.ts";
import type { ProductCatalog } from "../product-catalog.ts";
import { activityFromLastActive } from "../user-mapping.ts";

const BATCH = 200;
/**
 * Outcomes per commit. On embedded PGlite a commit runs on the crawl's thread and holds up the
 * pacing timer meanwhile, so fewer, larger commits lose fewer API turns; a killed crawl still
 * reads at most this many users again.
 */
const COMMIT_EVERY = 50;

/** Picks the cross-check sample once per run among users the bulk call covered. */
export async function queueSample(ctx: CrawlContext): Promise<void> {
  if (ctx.checkpoint.sampleQueued) return;
  if (ctx.strategy === "auto" && ctx.crossCheckSample > 0) {
    const { rows } = await sql<{ account_id: string }>`
      select u.account_id from users u
      where u.org_id = ${ctx.orgId} and u.last_seen_run_id = ${ctx.runId}
        and not exists (select 1 from crawl_user_checks c
                        where c.run_id = ${ctx.runId} and c.account_id = u.account_id)
      order by random() limit ${ctx.crossCheckSample}`.execute(ctx.db);
    await queueUserChecks(
      ctx.db,
      ctx.runId,
      "sample",
      rows.map((r) => r.account_id),
    );
  }
  ctx.checkpoint.sampleQueued = true;
  await updateRun(ctx.db, ctx.runId, { checkpoint: { ...ctx.checkpoint } });
}

/**
 * When more of the cross-check sample disagrees with the bulk data than `maxShare`, the bulk
 * activity is not trusted: every user's activity is read per user (`auto` only, once a run).
 * @returns whether reads were queued
 */
export async function escalateOnDisagreement(
  ctx: CrawlContext,
  maxShare: number,
): Promise<boolean> {
  if (ctx.strategy !== "auto" || ctx.checkpoint.escalated) return false;
  const counts = await countUserChecks(ctx.db, ctx.runId);
  if (counts.sampleDone === 0) return false;
  const disagreed = (await sampleDisagreements(ctx.db, ctx.runId)).length;
  if (disagreed / counts.sampleDone <= maxShare) return false;
  const queued = await queueFillForEveryone(ctx.db, ctx.orgId, ctx.runId);
  ctx.checkpoint.escalated = true;
  await updateRun(ctx.db, ctx.runId, { checkpoint: { ...ctx.checkpoint } });
  ctx.log.warn(
    `${disagreed} of ${counts.sampleDone} sampled users' activity differs between v2 users search and last-active-dates: reading every user's activity per user (${queued} more reads, about ${Math.ceil(queued / ctx.lastActivePerMinute)} min at the limit)`,
    { orgId: ctx.orgId, runId: ctx.runId },
  );
  return true;
}

interface Outcome {
  accountId: string;
  purpose: CheckPurpose;
  products?: ActivityInput[];
  roles?: DirectRolesInput["roles"];
  groupIds?: string[];
  /** The user left the org during the crawl (404 on a per-user read). */
  gone?: boolean;
  error?: CrawlErrorInput;
  /** The failure may pass: the read is tried once more at the end of the phase. */
  retryable?: boolean;
}

/** Reads the per-user work queued in the database, with progress, until none is pending. */
export async function crawlPerUser(ctx: CrawlContext, catalog: ProductCatalog): Promise<void> {
  const counts = await countUserChecks(ctx.db, ctx.runId);
  const pending =
    counts.fillPending + counts.samplePending + counts.rolesPending + counts.groupsPending;
  const total =
    pending +
    counts.fillDone +
    counts.fillFailed +
    counts.sampleDone +
    counts.sampleFailed +
    counts.rolesDone +
    counts.rolesFailed +
    counts.groupsDone +
    counts.groupsFailed;
  if (pending === 0) return;
  const progress = perUserProgress(ctx, total - pending, total);
  await readChecks(ctx, catalog, queuedInDatabase(ctx), progress.read);
  progress.report();
}

/**
 * Reads per-user work as the users walk queues it (`feed`), until the feed is closed and
 * drained: the reads of the first pages run while later pages are fetched. Only work whose
 * page has committed is fed, and each outcome is committed like any other, so a stop leaves
 * the rest queued in the database for `crawlPerUser`.
 */
export async function readChecksAlongside(
  ctx: CrawlContext,
  catalog: ProductCatalog,
  feed: CheckFeed,
): Promise<void> {
  // The walk reports its own progress while it runs; once it is done, these reads report
  // theirs (the walk may end long before them: with `per-user`, after a tenth of the time).
  let done = 0;
  let progress: ReturnType<typeof perUserProgress> | undefined;
  const onRead = (check: QueuedCheck) => {
    done += 1;
    if (!feed.closed) return;
    progress ??= perUserProgress(ctx, done - 1, feed.pushed);
    progress.read(check);
  };
  await readChecks(ctx, catalog, { next: () => feed.next(), settle: async () => {} }, onRead);
  progress?.report();
}

/** Per-user work handed from the users walk to the reads running beside it. */
export class CheckFeed {
  private readonly items: QueuedCheck[] = [];
  private readonly waiting: ((item: QueuedCheck | undefined) => void)[] = [];
  /** No more work will come. */
  closed = false;
  /** Work handed in so far. */
  pushed = 0;

  /** Adds work (its page has committed). */
  push(checks: QueuedCheck[]): void {
    this.pushed += checks.length;
    for (const check of checks) {
      const waiter = this.waiting.shift();
      if (waiter) waiter(check);
      else this.items.push(check);
    }
  }

  /** No more work will come: readers finish once the queue is empty. */
  close(): void {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter(undefined);
  }

  /** The next piece of work, waiting for one; undefined once closed and empty. */
  next(): Promise<QueuedCheck | undefined> {
    const item = this.items.shift();
    if (item || this.closed) return Promise.resolve(item);
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

/** Where the pool takes its work from; `settle` waits for a read of the queue in flight. */
interface CheckSource {
  next: () => Promise<QueuedCheck | undefined>;
  settle: () => Promise<void>;
}

/**
 * Pending work from the database, a batch at a time: the next batch is read while the last
 * reads of this one are in flight, so the API never waits for the database between batches.
 */
function queuedInDatabase(ctx: CrawlContext): CheckSource {
  let after: QueuedCheck | null = null;
  let queue: QueuedCheck[] = [];
  let exhausted = false;
  let refilling: Promise<void> | undefined;
  const refill = (): Promise<void> => {
    refilling ??= (async () => {
      try {
        const batch = await pendingUserChecks(ctx.db, ctx.runId, after, BATCH);
        if (batch.length === 0) exhausted = true;
        after = batch[batch.length - 1] ?? after;
        queue = queue.concat(batch);
      } finally {
        refilling = undefined;
      }
    })();
    return refilling;
  };
  return {
    next: async () => {
      for (;;) {
        if (!exhausted && queue.length <= ctx.concurrency && !refilling)
          void refill().catch(() => {});
        const item = queue.shift();
        if (item) return item;
        if (exhausted) return undefined;
        await (refilling ?? refill());
      }
    },
    settle: async () => {
      await refilling?.catch(() => {});
    },
  };
}

/** The per-user progress line: done/total, each endpoint class's rate against its limit, ETA. */
function perUserProgress(ctx: CrawlContext, alreadyDone: number, total: number) {
  let done = alreadyDone;
  const started = Date.now();
  const eta = etaTracker();
  // Completed reads per endpoint class in the last minute: each class has its own limit.
  const recent = new Map<string, number[]>();
  const limits = new Map(ctx.client.stats().map((s) => [s.endpoint as string, s.limitPerMinute]));
  const report = () => {
    const now = Date.now();
    const elapsedMin = Math.max((now - started) / 60_000, 1e-6);
    const rates = [...recent].map(([endpoint, times]) => {
      while (times.length > 0 && (times[0] ?? 0) < now - 60_000) times.shift();
      return {
        endpoint,
        perMinute: Math.round(times.length / Math.min(elapsedMin, 1)),
        limitPerMinute:
          limits.get(endpoint) ??
          ctx.client.stats().find((s) => s.endpoint === endpoint)?.limitPerMinute ??
          0,
      };
    });
    const etaSeconds = eta.eta(done, total);
    ctx.onProgress({
      orgId: ctx.orgId,
      phase: "per-user",
      done,
      total,
      rates,
      ...(etaSeconds !== undefined ? { etaSeconds } : {}),
    });
  };
  report();
  const read = (check: QueuedCheck) => {
    done += 1;
    const endpoint = check.purpose === "roles" ? "user-role-assignments" : "last-active-dates";
    const times = recent.get(endpoint) ?? [];
    times.push(Date.now());
    recent.set(endpoint, times);
    if (done % 10 === 0) report();
  };
  return { read, report };
}

/**
 * One pool of workers over the work `source` hands out. Outcomes are committed behind the
 * reads, COMMIT_EVERY at a time, one commit at a time; the first commit that fails stops the
 * pool, and so does the first fatal read error (cancelling every read queued or in flight).
 */
async function readChecks(
  ctx: CrawlContext,
  catalog: ProductCatalog,
  source: CheckSource,
  onRead: (check: QueuedCheck) => void,
): Promise<void> {
  let buffer: Outcome[] = [];
  let commitFailure: { error: unknown } | undefined;
  let flushing: Promise<void> = Promise.resolve();
  const scheduleFlush = () => {
    const outcomes = buffer;
    buffer = [];
    if (outcomes.length === 0) return;
    flushing = flushing
      .then(() => (commitFailure ? undefined : commit(ctx, outcomes)))
      .catch((error: unknown) => {
        commitFailure ??= { error };
      });
  };
  const stop = new AbortController();
  const phaseSignal = sharedSignal(ctx.signal, stop.signal);
  const phase: CrawlContext = { ...ctx, signal: phaseSignal };
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure) {
      if (commitFailure) throw commitFailure.error;
      const item = await source.next();
      if (!item || failure) return;
      const outcome = await readOne(phase, catalog, item.account_id, item.purpose);
      buffer.push(outcome); // not `buffer.push(await …)`: a flush may swap the buffer meanwhile
      onRead(item);
      if (buffer.length >= COMMIT_EVERY) scheduleFlush();
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.max(1, ctx.concurrency) }, () =>
        worker().catch((error: unknown) => {
          if (!failure) {
            failure = { error };
            stop.abort(error);
          }
        }),
      ),
    );
  } finally {
    if (!failure) scheduleFlush();
    await flushing;
    await source.settle();
  }
  if (failure) throw failure.error;
  if (commitFailure) throw commitFailure.error;
}

async function readOne(
  ctx: CrawlContext,
  catalog: ProductCatalog,
  accountId: string,
  purpose: CheckPurpose,
): Promise<Outcome> {
  if (purpose === "roles") return readDirectRoles(ctx, catalog, accountId);
  if (purpose === "groups") return readGroups(ctx, accountId);
  try {
    const data = await getLastActiveDates(ctx.client, {
      orgId: ctx.orgId,
      accountId,
      signal: ctx.signal,
    });
    const products = activityFromLastActive(data, catalog);
    if (products === undefined) {
      return unknownActivity(ctx, accountId, purpose);
    }
    return { accountId, purpose, products };
  } catch (error) {
    return failedRead(ctx, accountId, purpose, "last-active-dates", error);
  }
}

/**
 * The product roles a user holds directly (not through a group). Customer roles are not seats
 * and platform roles are not products, so both are left out. A role whose grant methods the
 * API did not send may be direct: it is kept.
 */
async function readDirectRoles(
  ctx: CrawlContext,
  catalog: ProductCatalog,
  accountId: string,
): Promise<Outcome> {
  try {
    const assignments = await listUserRoleAssignments(ctx.client, {
      orgId: ctx.orgId,
      accountId,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    const roles = assignments.flatMap((a) =>
      catalog.knows(a.resourceId)
        ? a.roles
            .filter((r) => !r.methodsKnown || r.methods.includes("direct"))
            .filter((r) => !/customer/i.test(r.role))
            .map((r) => ({
              resourceId: a.resourceId,
              productKey: catalog.resolve(a.resourceId, a.resourceOwner).productKey,
              role: r.role,
            }))
        : [],
    );
    return { accountId, purpose: "roles", roles };
  } catch (error) {
    return failedRead(ctx, accountId, "roles", "user-role-assignments", error);
  }
}

/** The groups of one user whose page did not carry them (v2 groups search by account). */
async function readGroups(ctx: CrawlContext, accountId: string): Promise<Outcome> {
  try {
    const groupIds: string[] = [];
    for await (const page of searchGroupPages(ctx.client, {
      orgId: ctx.orgId,
      accountIds: [accountId],
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    })) {
      if (page.rejected.length > 0) {
        const r = page.rejected[0]!;
        return failure(ctx, accountId, "groups", r.request, "rejected-record", r.reason, false);
      }
      groupIds.push(...page.items.map((g) => g.id));
    }
    return { accountId, purpose: "groups", groupIds };
  } catch (error) {
    return failedRead(ctx, accountId, "groups", "groups", error);
  }
}

/** last-active-dates answered, but without the activity of a product: nothing is concluded. */
function unknownActivity(ctx: CrawlContext, accountId: string, purpose: CheckPurpose): Outcome {
  return failure(
    ctx,
    accountId,
    purpose,
    "last-active-dates",
    "unknown-activity",
    "last-active-dates listed a product without its last-active date; the user's activity is unknown, not inactive",
    false,
  );
}

/**
 * A read that failed: recorded as an error for this user (never as "no activity"), to be
 * tried once more at the end of the phase when the failure may pass. A user who left the
 * org in the meantime is no failure: they are recorded as gone. Errors that make every
 * further call pointless (the key was refused, the server asks to wait past the run's
 * deadline) end the phase; so does the caller giving up.
 */
function failedRead(
  ctx: CrawlContext,
  accountId: string,
  purpose: CheckPurpose,
  endpoint: string,
  error: unknown,
): Outcome {
  if (ctx.signal?.aborted) throw error;
  if (isAtlassianApiError(error) && (error.stopRun || error.kind === "auth")) throw error;
  if (error instanceof NotFoundError && error.userGone) return { accountId, purpose, gone: true };
  const kind = isAtlassianApiError(error) ? error.kind : "unexpected";
  const retryable =
    isAtlassianApiError(error) &&
    (error.retryable || kind === "server" || kind === "network" || kind === "rate-limit");
  return failure(ctx, accountId, purpose, endpoint, kind, coerceError(error).message, retryable);
}

function failure(
  ctx: CrawlContext,
  accountId: string,
  purpose: CheckPurpose,
  endpoint: string,
  kind: string,
  message: string,
  retryable: boolean,
): Outcome {
  return {
    accountId,
    purpose,
    retryable,
    error: { accountId, endpoint, kind, message, at: ctx.clock.now() },
  };
}

async function commit(ctx: CrawlContext, outcomes: Outcome[]): Promise<void> {
  const at = ctx.clock.now();
  const samples = outcomes.filter((o) => o.purpose === "sample" && o.products);
  const stored = await activityOf(
    ctx.db,
    ctx.orgId,
    samples.map((s) => s.accountId),
  );
  await ctx.db.transaction().execute(async (trx) => {
    const fills = outcomes.filter((o) => o.purpose === "fill" && o.products);
    await replaceActivity(
      trx,
      ctx.orgId,
      ctx.runId,
      at,
      "per-user",
      fills.map((f) => ({ accountId: f.accountId, products: f.products ?? [] })),
    );
    await replaceDirectRoles(
      trx,
      ctx.orgId,
      ctx.runId,
      outcomes.flatMap((o) => (o.roles ? [{ accountId: o.accountId, roles: o.roles }] : [])),
    );
    await replaceGroupsOf(
      trx,
      ctx.orgId,
      outcomes.flatMap((o) =>
        o.groupIds ? [{ accountId: o.accountId, groupIds: o.groupIds }] : [],
      ),
    );
    await markGone(
      trx,
      ctx.orgId,
      outcomes.filter((o) => o.gone).map((o) => o.accountId),
    );
    await recordErrors(
      trx,
      ctx.runId,
      outcomes.flatMap((o) => (o.error ? [o.error] : [])),
    );
    await completeUserChecks(
      trx,
      ctx.runId,
      outcomes.map((o) => ({
        accountId: o.accountId,
        purpose: o.purpose,
        state: o.error ? ("failed" as const) : ("done" as const),
        ...(o.purpose === "sample" && o.products
          ? {
              detail: compare(
                o.products,
                stored.filter((s) => s.account_id === o.accountId),
              ),
            }
          : o.error
            ? { detail: { retryable: o.retryable ?? false } }
            : o.gone
              ? { detail: { gone: true } }
              : {}),
      })),
    );
    await updateRun(trx, ctx.runId, { heartbeatAt: at });
  });
}

/** Compares last-active-dates (per-user) with the stored bulk data, by product and UTC date. */
function compare(
  perUser: ActivityInput[],
  bulk: { product_key: string; resource_id: string; last_active_date: string | null }[],
): Record<string, unknown> {
  const key = (k: string, r: string) => `${k} ${r}`;
  const a = new Map(
    perUser
      .filter((p) => p.lastActiveDate)
      .map((p) => [key(p.productKey, p.resourceId), p.lastActiveDate]),
  );
  const b = new Map(
    bulk
      .filter((p) => p.last_active_date)
      .map((p) => [key(p.product_key, p.resource_id), p.last_active_date]),
  );
  const differences: { product: string; perUser: string | null; bulk: string | null }[] = [];
  for (const product of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(product) ?? null;
    const y = b.get(product) ?? null;
    if (x !== y) differences.push({ product, perUser: x, bulk: y });
  }
  return { agree: differences.length === 0, differences };
}
