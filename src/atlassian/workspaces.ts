import { z } from "zod";
import type { AtlassianClient } from "./client.ts";
import { path, requestRecords, stringField } from "./http.ts";
import type { Page, PageBounds } from "./pagination.ts";
import { collectItems, walkPages } from "./pagination.ts";
import { ariSuffix, optionalNumber, optionalString, pageLinks } from "./schemas.ts";

/** A product instance (site/workspace) of the org. */
export interface Workspace {
  /** Workspace id as sent (often an ARI). */
  id: string;
  /** Trailing id after the last `/` — joins with last-active `id` / role `resourceId` suffixes. */
  cloudId: string;
  /** e.g. `jira-software`, `confluence`; open. */
  typeKey: string;
  /** Product family (`jira`, `confluence` …) when sent. */
  productKey?: string | undefined;
  /** The workspace's name; its `cloudId` when the API sent none (the spec requires no field). */
  name: string;
  /** `https://` + hostUrl, when the workspace has a host. */
  url?: string | undefined;
  hostUrl?: string | undefined;
  /** online | offline | deprecated; open. */
  status?: string | undefined;
  capacity?: number | undefined;
}

const workspaceSchema = z.object({
  id: z.string().min(1),
  type: optionalString,
  // without typeKey a workspace cannot be told apart from another product: unusable
  attributes: z.object({
    name: optionalString,
    typeKey: z.string().min(1),
    type: optionalString,
    status: optionalString,
    hostUrl: optionalString,
    capacity: optionalNumber,
  }),
});

const workspacePage = z.object({ data: z.array(z.unknown()), links: pageLinks });

function toWorkspace(w: z.output<typeof workspaceSchema>): Workspace {
  const host = w.attributes.hostUrl;
  return {
    id: w.id,
    cloudId: ariSuffix(w.id),
    typeKey: w.attributes.typeKey,
    productKey: w.attributes.type,
    name: w.attributes.name ?? ariSuffix(w.id),
    url: host ? (/^https?:\/\//i.test(host) ? host : `https://${host}`) : undefined,
    hostUrl: host,
    status: w.attributes.status,
    capacity: w.attributes.capacity,
  };
}

export interface SearchWorkspacesParams extends PageBounds {
  orgId: string;
  /** The recursive query object of `SearchWorkspacesRequestV2` (sent on the first page only). */
  query?: unknown;
  sort?: { field: string; order: "asc" | "desc" }[];
  /** 1..1000, default 100. */
  limit?: number;
  cursor?: string;
  signal?: AbortSignal;
}

/**
 * `POST /admin/v2/orgs/{orgId}/workspaces` — pages of workspaces (family D: later pages send
 * only `{cursor}`); a search, so retried after a 500. Scope `read:workspaces:admin`. A record
 * without an id or `attributes.typeKey` goes to `page.rejected`.
 */
export function searchWorkspacePages(
  client: AtlassianClient,
  params: SearchWorkspacesParams,
): AsyncIterable<Page<Workspace>> {
  const { orgId, query, sort, limit = 100, cursor, maxPages, maxEmptyPages, signal } = params;
  const p = path`/admin/v2/orgs/${orgId}/workspaces`;
  return walkPages({
    endpoint: "workspaces",
    label: `POST ${p}`,
    startCursor: cursor,
    maxPages,
    maxEmptyPages,
    expectedTotal: params.expectedTotal,
    signal,
    scrub: (t) => client.redact(t),
    fetchPage: async (c) => {
      const body: Record<string, unknown> =
        c !== undefined
          ? { cursor: c }
          : { limit, ...(query !== undefined ? { query } : {}), ...(sort ? { sort } : {}) };
      const res = await requestRecords(
        client,
        { endpoint: "workspaces", orgId, method: "POST", path: p, body, idempotent: true, signal },
        {
          page: workspacePage,
          records: (pg) => pg.data,
          record: workspaceSchema,
          idOf: (r) => stringField(r, "id"),
          at: "data",
        },
      );
      return {
        items: res.items.map(toWorkspace),
        rejected: res.rejected,
        next: res.page.links?.next,
      };
    },
  });
}

/**
 * Every workspace of the org (all pages). Throws SchemaError when any record was rejected: a
 * product catalog with a hole would misplace seats. Use searchWorkspacePages to go past them.
 */
export async function listWorkspaces(
  client: AtlassianClient,
  params: { orgId: string; signal?: AbortSignal },
): Promise<Workspace[]> {
  return collectItems(searchWorkspacePages(client, params));
}
