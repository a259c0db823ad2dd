import { z } from "zod";
import type { AtlassianClient } from "./client.ts";
import { AtlassianApiError } from "./errors.ts";
import { path, requestJson, requestRecords, stringField } from "./http.ts";
import { collectItems, walkPages } from "./pagination.ts";
import { optionalString } from "./schemas.ts";

/** An organization visible to the API key. */
export interface Org {
  id: string;
  /** The org's name; its id when the API sent none (`name` is not required by the spec). */
  name: string;
}

const orgModel = z.object({
  id: z.string().min(1),
  type: optionalString,
  attributes: z.object({ name: optionalString }).nullish(),
});
const orgPage = z.object({
  data: z.array(z.unknown()),
  links: z.object({ next: z.string().nullish() }).nullish(),
});
const orgSingle = z.object({ data: orgModel });

const toOrg = (o: z.output<typeof orgModel>): Org => ({
  id: o.id,
  name: o.attributes?.name ?? o.id,
});

/**
 * `GET /admin/v1/orgs` — every organization the key can see (family A: `links.next` is a URL).
 * In practice one org per key. Retried after a 500. Throws typed errors (AuthError on a bad
 * key; SchemaError when an org record has no id).
 */
export async function listOrgs(
  client: AtlassianClient,
  params: { signal?: AbortSignal } = {},
): Promise<Org[]> {
  const p = "/admin/v1/orgs";
  return collectItems(
    walkPages({
      endpoint: "orgs",
      label: `GET ${p}`,
      maxPages: 1000,
      signal: params.signal,
      scrub: (t) => client.redact(t),
      fetchPage: async (cursor) => {
        const res = await requestRecords(
          client,
          {
            endpoint: "orgs",
            orgId: undefined,
            method: "GET",
            path: p,
            query: { cursor },
            idempotent: true,
            signal: params.signal,
          },
          {
            page: orgPage,
            records: (pg) => pg.data,
            record: orgModel,
            idOf: (r) => stringField(r, "id"),
            at: "data",
          },
        );
        return { items: res.items.map(toOrg), rejected: res.rejected, next: res.page.links?.next };
      },
    }),
  );
}

/** `GET /admin/v1/orgs/{orgId}`. NotFoundError (`ADMIN-404-2`) for an unknown org. */
export async function getOrg(
  client: AtlassianClient,
  params: { orgId: string; signal?: AbortSignal },
): Promise<Org> {
  const body = await requestJson(
    client,
    {
      endpoint: "orgs",
      orgId: params.orgId,
      method: "GET",
      path: path`/admin/v1/orgs/${params.orgId}`,
      idempotent: true,
      signal: params.signal,
    },
    orgSingle,
  );
  return toOrg(body.data);
}

/**
 * The org id when the key sees exactly one org (env `ATLASSIAN_ORG_ID` unset). Throws an
 * AtlassianApiError listing what it saw when there are none or several.
 */
export async function discoverOrgId(
  client: AtlassianClient,
  params: { signal?: AbortSignal } = {},
): Promise<string> {
  const orgs = await listOrgs(client, params);
  const only = orgs[0];
  if (orgs.length === 1 && only) return only.id;
  const message =
    orgs.length === 0
      ? "The API key sees no organization (GET /admin/v1/orgs returned none). Use an organization API key created by an org admin, or set ATLASSIAN_ORG_ID."
      : `The API key sees ${orgs.length} organizations; set ATLASSIAN_ORG_ID to one of: ${orgs
          .map((o) => `${o.id} (${o.name})`)
          .join(", ")}.`;
  throw new AtlassianApiError(message, { endpoint: "orgs", request: "GET /admin/v1/orgs" });
}
