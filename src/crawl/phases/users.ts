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
import {
  queueUserChecks,
  recordErrors,
  updateRun,
  type CrawlErrorInput,
} from "../../db/repositories/crawl-runs.repository.ts";
import {
  countUsersSeenInRun,
  resourcesByGroup,
  saveUserPage,
  upsertProducts,
} from "../../db/repositories/org-data.repository.ts";
import { etaTracker } from "../../shared/eta.ts";
import type { CrawlContext } from "../context.ts";
import type { ProductCatalog } from "../product-catalog.ts";
import { userFromDirectory } from "../user-mapping.ts";
import type { UserInput } from "../../db/repositories/org-data.repository.ts";

/** How often a walk restarts from the first page when the API rejects a cursor as stale. */
const MAX_CURSOR_RESTARTS = 3;

export async function crawlUsers(ctx: CrawlContext, catalog: ProductCatalog): Promise<void> {
  for (let restarts = 0; ; restarts++) {
    try {
      await walkUsers(ctx, catalog);
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

async function walkUsers(ctx: CrawlContext, catalog: ProductCatalog): Promise<void> {
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
  for await (const page of pages) {
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
    const discovered = catalog.takeDiscovered();
    await ctx.db.transaction().execute(async (trx) => {
      if (discovered.length > 0) {
        await upsertProducts(trx, orgId, ctx.runId, discovered);
      }
      await saveUserPage(trx, orgId, ctx.runId, at, users);
      await queueUserChecks(trx, ctx.runId, "fill", needFill);
      await queueUserChecks(trx, ctx.runId, "roles", needRoles);
      await queueUserChecks(trx, ctx.runId, "groups", needGroups);
      await recordErrors(trx, ctx.runId, rejected);
      await updateRun(trx, ctx.runId, { checkpoint: { ...checkpoint }, heartbeatAt: at });
    });
    done += users.length;
    progress();
  }
  if (!checkpoint.usersDone) {
    // An empty org, or a walk that ended without a last page: nothing more to read.
    checkpoint.usersDone = true;
    await updateRun(ctx.db, ctx.runId, { checkpoint: { ...checkpoint } });
  }
}
