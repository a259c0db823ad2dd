import { z } from "zod";
import type { AtlassianClient } from "./client.ts";
import type { EndpointClass } from "./endpoint-classes.ts";
import { SchemaError } from "./errors.ts";
import { requestJson } from "./http.ts";
import { collectItems, walkPages } from "./pagination.ts";
import { optionalString, pageLinks } from "./schemas.ts";

/** Shared parsing of v2 role-assignment pages (users and groups). */
export const roleAssignmentSchema = z.object({
  resourceId: z.string().min(1),
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

type RoleAssignmentRecord = z.output<typeof roleAssignmentSchema>;

/**
 * Every page of one user's or group's role assignments (retried after a 500). These are reads
 * about one subject, so an entry that cannot be used — `usable` gives the reason — fails the
 * whole read with SchemaError: the caller records one failed subject, never a grant list with a
 * hole in it.
 */
export async function walkRoleAssignments<T>(
  client: AtlassianClient,
  spec: {
    endpoint: EndpointClass;
    orgId: string;
    path: string;
    filters: RoleFilters;
    signal: AbortSignal | undefined;
    map: (r: RoleAssignmentRecord) => T;
    usable: (r: RoleAssignmentRecord) => string | undefined;
  },
): Promise<T[]> {
  return collectItems(
    walkPages({
      endpoint: spec.endpoint,
      label: `GET ${spec.path}`,
      maxPages: 10_000,
      signal: spec.signal,
      scrub: (t) => client.redact(t),
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
            idempotent: true,
            signal: spec.signal,
          },
          roleAssignmentPage,
        );
        body.data.forEach((r, i) => {
          const problem = spec.usable(r);
          if (problem !== undefined) {
            throw new SchemaError(
              client.redact(
                `GET ${spec.path}: role assignment data.${i} (resource ${r.resourceId}) cannot be used: ${problem}. ` +
                  `The read fails rather than report fewer roles than the API holds.`,
              ),
              { endpoint: spec.endpoint, request: `GET ${spec.path}`, path: `data.${i}` },
            );
          }
        });
        return { items: body.data.map(spec.map), next: body.links?.next };
      },
    }),
  );
}
