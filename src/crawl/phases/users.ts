/**
 * Phase 2: every user, 100 a call, from v2 users/search. With `bulk`/`auto` the same call
 * brings each user's per-product last activity (`expand: productAccess`). Every strategy asks
 * for the user's resource count: a user holding roles on more resources than their groups
 * grant and their activity shows has a direct role on a product they never used, and gets a
 * role-assignments read (such a seat shows up nowhere else). Each page is
 * committed together with the cursor of the next one, so a killed crawl resumes at the first
 * page it had not stored and never fetches a stored page again.
 */
import {
  BadRequestError,
  countUsers,
  searchUserPages,
  type DirectoryUser,
  type UserExpand,
} from "../../atlassian/index.ts";
import type { Kysely } from "kysely";
import {
  queueChecksByPurpose,
  recordErrors,
  updateRun,
  type CheckPurpose,
  type CrawlErrorInput,
  type QueuedCheck,
} from "../../db/repositories/crawl-runs.repository.ts";
import {
  countUsersSeenInRun,
  resourcesByGroup,
  saveUserPage,
  upsertProducts,
} from "../../db/repositories/org-data.repository.ts";
import { etaTracker } from "../../shared/eta.ts";
import { readAhead } from "../../shared/read-ahead.ts";
import type { Database } from "../../db/schema.ts";
import type { Checkpoint, CrawlContext } from "../context.ts";
import type { ProductCatalog } from "../product-catalog.ts";
import { userFromDirectory } from "../user-mapping.ts";
import type { ProductInput, UserInput } from "../../db/repositories/org-data.repository.ts";

/**
 * Pages fetched while an earlier one is stored: enough to keep the API busy when a store
 * takes longer than usual; at most this many are fetched again after a kill.
 */
export const PAGES_READ_AHEAD = 2;

/** How often a walk restarts from the first page when the API rejects a cursor as stale. */
const MAX_CURSOR_RESTARTS = 3;

/**
 * @param onQueued told of the per-user reads each stored page queued, once its transaction
 *   has committed (so they can start while the walk goes on)
 */
export async function crawlUsers(
  ctx: CrawlContext,
  catalog: ProductCatalog,
  onQueued: (checks: QueuedCheck[]) => void = () => {},
): Promise<void> {
  for (let restarts = 0; ; restarts++) {
    try {
      await walkUsers(ctx, catalog, onQueued);
      return;
    } catch (error) {
      // Cursors expire. Upserts are idempotent, so re-walking from the first page is safe;
      // pages are stored again, never lost.
      if (
        !(error instanceof BadRequestError && error.staleCursor) ||
        restarts >= MAX_CURSOR_RESTARTS
      )
        throw error;
      ctx.log.warn("the API rejected the users cursor as stale; restarting the user list", {
        orgId: ctx.orgId,
        runId: ctx.runId,
        pagesStored: ctx.checkpoint.usersPages,
      });
      ctx.checkpoint.usersCursor = undefined;
      ctx.checkpoint.usersPages = 0;
    }
  }
}

async function walkUsers(
  ctx: CrawlContext,
  catalog: ProductCatalog,
  onQueued: (checks: QueuedCheck[]) => void,
): Promise<void> {
  const { client, orgId, signal, checkpoint } = ctx;
  if (checkpoint.usersTotal === undefined) {
    checkpoint.usersTotal = await countUsers(client, { orgId, signal });
  }
  const expand: UserExpand[] =
    ctx.strategy === "per-user"
      ? ["groups", "platformRoles", "counts.resources"]
      : ["productAccess", "groups", "platformRoles", "counts.resources"];
  const groupResources = await resourcesByGroup(ctx.db, orgId);
  // A user holding roles on more resources than their groups grant and their activity shows
  // has a direct role on a product they never used: read their role assignments.
  // Without the count (asked for, not sent), a direct role cannot be ruled out: read them.
  const hasUnusedDirectRole = (u: DirectoryUser, stored: UserInput): boolean => {
    if (u.resourceCount === undefined) return u.notProvided.includes("counts.resources");
    const known = new Set<string>(stored.products?.map((p) => p.resourceId) ?? []);
    for (const g of u.groups ?? []) for (const r of groupResources.get(g.id) ?? []) known.add(r);
    return u.resourceCount > known.size;
  };
  let done = checkpoint.usersPages > 0 ? await countUsersSeenInRun(ctx.db, orgId, ctx.runId) : 0;
  const eta = etaTracker();
  const progress = () => {
    const etaSeconds = eta.eta(done, checkpoint.usersTotal);
    ctx.onProgress({
      orgId,
      phase: "users",
      done,
      total: checkpoint.usersTotal,
      ...(etaSeconds !== undefined ? { etaSeconds } : {}),
    });
  };
  progress();

  const pages = searchUserPages(client, {
    orgId,
    expand,
    limit: 100,
    ...(checkpoint.usersCursor !== undefined ? { cursor: checkpoint.usersCursor } : {}),
    // The walk may not run far past what the API says exists (a server inventing pages).
    ...(checkpoint.usersTotal !== undefined ? { expectedTotal: checkpoint.usersTotal } : {}),
    signal,
  });
  // Each page is stored while the next ones are fetched.
  for await (const page of readAhead(pages, PAGES_READ_AHEAD)) {
    const at = ctx.clock.now();
    const users = page.items.map((u) => userFromDirectory(u, catalog));
    // per-user: everyone needs last-active-dates; auto: those the bulk call said nothing about.
    const needFill = users
      .filter((u) => ctx.strategy === "per-user" || u.products === undefined)
      .map((u) => u.accountId);
    const needRoles = page.items
      .filter((u, i) => hasUnusedDirectRole(u, users[i]!))
      .map((u) => u.accountId);
    // Groups asked for but not sent: read them per user, or never-used group seats are lost.
    const needGroups = users.filter((u) => u.groupIds === undefined).map((u) => u.accountId);
    // Records the API sent that cannot be used: recorded, and the run cannot succeed.
    const rejected: CrawlErrorInput[] = page.rejected.map((r) => ({
      accountId: r.id ?? null,
      endpoint: r.request,
      kind: "rejected-record",
      message: `record ${r.index} of the page: ${r.reason}`,
      at,
    }));
    checkpoint.usersCursor = page.nextCursor;
    checkpoint.usersPages += 1;
    checkpoint.usersDone = page.nextCursor === undefined;
    const queued = await storeUsersPage(ctx.db, orgId, ctx.runId, {
      at,
      users,
      discovered: catalog.takeDiscovered(),
      checks: { fill: needFill, roles: needRoles, groups: needGroups },
      rejected,
      checkpoint: { ...checkpoint },
    });
    if (queued.length > 0) onQueued(queued);
    done += users.length;
    progress();
  }
  if (!checkpoint.usersDone) {
    // An empty org, or a walk that ended without a last page: nothing more to read.
    checkpoint.usersDone = true;
    await updateRun(ctx.db, ctx.runId, { checkpoint: { ...checkpoint } });
  }
}

/** What one page of the users walk stores, in one transaction with the walk's checkpoint. */
export interface UsersPageWrite {
  at: Date;
  users: UserInput[];
  /** Products first seen on this page. */
  discovered: ProductInput[];
  /** Per-user reads the page showed are needed. */
  checks: Partial<Record<CheckPurpose, string[]>>;
  rejected: CrawlErrorInput[];
  /** The walk's position after this page: committed with it, so a resume never loses a page. */
  checkpoint: Checkpoint;
}

export async function storeUsersPage(
  db: Kysely<Database>,
  orgId: string,
  runId: number,
  page: UsersPageWrite,
): Promise<QueuedCheck[]> {
  return db.transaction().execute(async (trx) => {
    if (page.discovered.length > 0) await upsertProducts(trx, orgId, runId, page.discovered);
    await saveUserPage(trx, orgId, runId, page.at, page.users);
    const queued = await queueChecksByPurpose(trx, runId, page.checks);
    await recordErrors(trx, runId, page.rejected);
    await updateRun(trx, runId, { checkpoint: { ...page.checkpoint }, heartbeatAt: page.at });
    return queued;
  });
}
