/**
 * Phase 1: the org's directories, products (workspaces) and groups with the product roles
 * each grants — the small lookup data that users are read against.
 */
import {
  listDirectories,
  listGroupRoleAssignments,
  listWorkspaces,
  searchGroupPages,
} from "../../atlassian/index.ts";
import { recordErrors } from "../../db/repositories/crawl-runs.repository.ts";
import {
  saveGroups,
  upsertDirectories,
  upsertProducts,
  type GroupInput,
} from "../../db/repositories/org-data.repository.ts";
import { etaTracker } from "../../shared/eta.ts";
import { sharedSignal } from "../../shared/signals.ts";
import type { CrawlContext } from "../context.ts";
import { ProductCatalog } from "../product-catalog.ts";
import { mapPool } from "../pool.ts";

export async function crawlCatalog(ctx: CrawlContext): Promise<ProductCatalog> {
  const { client, orgId, signal } = ctx;
  ctx.onProgress({ orgId, phase: "catalog", done: 0, total: undefined });
  const directories = await listDirectories(client, { orgId, signal });
  await upsertDirectories(
    ctx.db,
    orgId,
    ctx.runId,
    directories.map((d) => ({ directoryId: d.directoryId, name: d.name })),
  );

  const workspaces = await listWorkspaces(client, { orgId, signal });
  const catalog = ProductCatalog.fromWorkspaces(workspaces);
  await upsertProducts(ctx.db, orgId, ctx.runId, catalog.products());

  const groups = [];
  for await (const page of searchGroupPages(client, { orgId, signal })) {
    groups.push(...page.items);
    // A group record that cannot be used: recorded, and the run cannot succeed (what the
    // group grants is unknown, so seats it grants could be missed).
    await recordErrors(
      ctx.db,
      ctx.runId,
      page.rejected.map((r) => ({
        accountId: null,
        endpoint: r.request,
        kind: "rejected-record",
        message: `group record ${r.index}${r.id ? ` (${r.id})` : ""}: ${r.reason}`,
        at: ctx.clock.now(),
      })),
    );
  }
  // What each group grants: one call per group, the slow part of the catalog.
  const eta = etaTracker();
  let read = 0;
  const progress = () => {
    const etaSeconds = eta.eta(read, groups.length);
    ctx.onProgress({
      orgId,
      phase: "catalog",
      done: read,
      total: groups.length,
      ...(etaSeconds !== undefined ? { etaSeconds } : {}),
    });
  };
  progress();
  const stop = new AbortController();
  const groupSignal = sharedSignal(signal, stop.signal);
  const withGrants: GroupInput[] = await mapPool(
    groups,
    ctx.concurrency,
    async (g) => {
      const assignments = await listGroupRoleAssignments(client, {
        orgId,
        directoryId: g.directoryId ?? "-",
        groupId: g.id,
        signal: groupSignal,
      });
      read += 1;
      if (read % 10 === 0 || read === groups.length) progress();
      return {
        groupId: g.id,
        directoryId: g.directoryId ?? null,
        name: g.name,
        description: g.description ?? null,
        managementSource: g.idpManaged ? "idp" : (g.managedBy ?? null),
        grants: assignments.flatMap((a) => {
          const ref = catalog.resolve(a.resourceId, a.resourceOwner);
          return a.roles.map((role) => ({
            resourceId: ref.resourceId,
            role,
            productKey: ref.productKey,
          }));
        }),
      };
    },
    (error) => stop.abort(error),
  );
  await upsertProducts(ctx.db, orgId, ctx.runId, catalog.takeDiscovered());
  await saveGroups(ctx.db, orgId, ctx.runId, withGrants);
  return catalog;
}

/** Rebuilds the catalog of a resumed run from what its first session stored. */
export async function loadCatalog(ctx: CrawlContext): Promise<ProductCatalog> {
  const rows = await ctx.db
    .selectFrom("products")
    .selectAll()
    .where("org_id", "=", ctx.orgId)
    .where("last_seen_run_id", "=", ctx.runId)
    .execute();
  return new ProductCatalog(
    rows.map((p) => ({
      productKey: p.product_key,
      resourceId: p.resource_id,
      name: p.name,
      siteUrl: p.site_url,
      workspaceType: p.workspace_type,
    })),
  );
}
