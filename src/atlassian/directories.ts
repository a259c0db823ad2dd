import { z } from "zod";
import type { AtlassianClient } from "./client.ts";
import { path, requestRecords, stringField } from "./http.ts";
import { collectItems, walkPages } from "./pagination.ts";
import { optionalString, pageLinks } from "./schemas.ts";

/** A user directory. Centralized orgs have one; original-experience orgs may have several. */
export interface Directory {
  directoryId: string;
  /** The directory's name; its id when the API sent none (the spec requires no field). */
  name: string;
  icon?: string | undefined;
}

const directorySchema = z.object({
  directoryId: z.string().min(1),
  name: optionalString,
  icon: optionalString,
});
const directoryPage = z.object({ data: z.array(z.unknown()), links: pageLinks });

/**
 * `GET /admin/v2/orgs/{orgId}/directories` — all directories (family C, walked to the end;
 * retried after a 500). Scope `read:directories:admin`. Throws SchemaError when a directory
 * record has no id: the list would be incomplete.
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
      scrub: (t) => client.redact(t),
      fetchPage: async (cursor) => {
        const res = await requestRecords(
          client,
          {
            endpoint: "directories",
            orgId: params.orgId,
            method: "GET",
            path: p,
            query: cursor ? { cursor } : { limit: 100 },
            idempotent: true,
            signal: params.signal,
          },
          {
            page: directoryPage,
            records: (pg) => pg.data,
            record: directorySchema,
            idOf: (r) => stringField(r, "directoryId"),
            at: "data",
          },
        );
        return {
          items: res.items.map((d) => ({
            directoryId: d.directoryId,
            name: d.name ?? d.directoryId,
            icon: d.icon,
          })),
          rejected: res.rejected,
          next: res.page.links?.next,
        };
      },
    }),
  );
}
