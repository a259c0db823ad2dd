import { z } from "zod";
import type { AtlassianClient } from "./client.ts";
import { path, requestJson } from "./http.ts";
import type { Page } from "./pagination.ts";
import { collectItems, DEFAULT_MAX_PAGES, walkPages } from "./pagination.ts";
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
  attributes: z.object({
    name: z.string(),
    typeKey: z.string(),
    type: optionalString,
    status: optionalString,
    hostUrl: optionalString,
    capacity: optionalNumber,
  }),
});

const workspacePage = z.object({ data: z.array(workspaceSchema), links: pageLinks });

function toWorkspace(w: z.output<typeof workspaceSchema>): Workspace {
  const host = w.attributes.hostUrl;
  return {
    id: w.id,
    cloudId: ariSuffix(w.id),
    typeKey: w.attributes.typeKey,
    productKey: w.attributes.type,
    name: w.attributes.name,
    url: host ? (/^https?:\/\//i.test(host) ? host : `https://${host}`) : undefined,
    hostUrl: host,
    status: w.attributes.status,
    capacity: w.attributes.capacity,
  };
}

export interface SearchWorkspacesParams {
  orgId: string;
  /** The recursive query object of `SearchWorkspacesRequestV2` (sent on the first page only). */
  query?: unknown;
  sort?: { field: string; order: "asc" | "desc" }[];
  /** 1..1000, default 100. */
  limit?: number;
  cursor?: string;
  maxPages?: number;
  signal?: AbortSignal;
}

/**
 * `POST /admin/v2/orgs/{orgId}/workspaces` — pages of workspaces (family D: later pages send
 * only `{cursor}`). Scope `read:workspaces:admin`.
 */
export function searchWorkspacePages(
  client: AtlassianClient,
  params: SearchWorkspacesParams,
): AsyncIterable<Page<Workspace>> {
  const { orgId, query, sort, limit = 100, cursor, maxPages, signal } = params;
  const p = path`/admin/v2/orgs/${orgId}/workspaces`;
  return walkPages({
    endpoint: "workspaces",
    label: `POST ${p}`,
    startCursor: cursor,
    maxPages: maxPages ?? DEFAULT_MAX_PAGES,
    signal,
    fetchPage: async (c) => {
      const body: Record<string, unknown> =
        c !== undefined
          ? { cursor: c }
          : { limit, ...(query !== undefined ? { query } : {}), ...(sort ? { sort } : {}) };
      const res = await requestJson(
        client,
        { endpoint: "workspaces", orgId, method: "POST", path: p, body, signal },
        workspacePage,
      );
      return { items: res.data.map(toWorkspace), next: res.links?.next };
    },
  });
}

/** Every workspace of the org (all pages). */
export async function listWorkspaces(
  client: AtlassianClient,
  params: { orgId: string; signal?: AbortSignal },
): Promise<Workspace[]> {
  return collectItems(searchWorkspacePages(client, params));
}
