import { z } from "zod";
import type { AtlassianClient } from "./client.ts";
import type { EndpointClass } from "./endpoint-classes.ts";
import { requestJson } from "./http.ts";
import { collectItems, walkPages } from "./pagination.ts";
import { optionalString, pageLinks } from "./schemas.ts";

/** Shared parsing of v2 role-assignment pages (users and groups). */
export const roleAssignmentSchema = z.object({
  resourceId: z.string(),
  resourceOwner: optionalString,
  defaultRole: optionalString,
  roles: z.array(z.string()).nullish(),
  roleAssignments: z
    .array(z.object({ role: z.string(), roleAssignmentMethods: z.array(z.string()).nullish() }))
    .nullish(),
  directoryId: optionalString,
  userDirectoryStatus: optionalString,
});

export const roleAssignmentPage = z.object({
  data: z.array(roleAssignmentSchema),
  links: pageLinks,
});

export interface RoleFilters {
  directoryIds?: string[];
  resourceOwners?: string[];
  resourceIds?: string[];
  roleIds?: string[];
}

export async function walkRoleAssignments<T>(
  client: AtlassianClient,
  spec: {
    endpoint: EndpointClass;
    orgId: string;
    path: string;
    filters: RoleFilters;
    signal: AbortSignal | undefined;
    map: (r: z.output<typeof roleAssignmentSchema>) => T;
  },
): Promise<T[]> {
  return collectItems(
    walkPages({
      endpoint: spec.endpoint,
      label: `GET ${spec.path}`,
      maxPages: 10_000,
      signal: spec.signal,
      fetchPage: async (cursor) => {
        const body = await requestJson(
          client,
          {
            endpoint: spec.endpoint,
            orgId: spec.orgId,
            method: "GET",
            path: spec.path,
            // with a cursor the API ignores every other parameter
            query: cursor ? { cursor, limit: 100 } : { ...spec.filters, limit: 100 },
            signal: spec.signal,
          },
          roleAssignmentPage,
        );
        return { items: body.data.map(spec.map), next: body.links?.next };
      },
    }),
  );
}
