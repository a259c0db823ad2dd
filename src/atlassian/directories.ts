import { z } from "zod";
import type { AtlassianClient } from "./client.ts";
import { path, requestJson } from "./http.ts";
import { collectItems, walkPages } from "./pagination.ts";
import { optionalString, pageLinks } from "./schemas.ts";

/** A user directory. Centralized orgs have one; original-experience orgs may have several. */
export interface Directory {
  directoryId: string;
  name: string;
  icon?: string | undefined;
}

const directoryPage = z.object({
  data: z.array(
    z.object({ directoryId: z.string().min(1), name: z.string(), icon: optionalString }),
  ),
  links: pageLinks,
});

/**
 * `GET /admin/v2/orgs/{orgId}/directories` — all directories (family C, walked to the end).
 * Scope `read:directories:admin`.
 */
export async function listDirectories(
  client: AtlassianClient,
  params: { orgId: string; signal?: AbortSignal },
): Promise<Directory[]> {
  const p = path`/admin/v2/orgs/${params.orgId}/directories`;
  return collectItems(
    walkPages({
      endpoint: "directories",
      label: `GET ${p}`,
      maxPages: 1000,
      signal: params.signal,
      fetchPage: async (cursor) => {
        const body = await requestJson(
          client,
          {
            endpoint: "directories",
            orgId: params.orgId,
            method: "GET",
            path: p,
            query: cursor ? { cursor } : { limit: 100 },
            signal: params.signal,
          },
          directoryPage,
        );
        return {
          items: body.data.map((d) => ({ directoryId: d.directoryId, name: d.name, icon: d.icon })),
          next: body.links?.next,
        };
      },
    }),
  );
}
