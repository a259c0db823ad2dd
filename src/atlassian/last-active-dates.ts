import { z } from "zod";
import type { AtlassianClient } from "./client.ts";
import { path, requestJson } from "./http.ts";
import type { PageBounds } from "./pagination.ts";
import { walkPages } from "./pagination.ts";
import { optionalString } from "./schemas.ts";
import { parseTimestamp, toIsoDate } from "./timestamps.ts";

/**
 * One product of a user's last-active answer. `lastActiveKnown: false` when the entry carries
 * neither `last_active` nor `last_active_timestamp` (both optional in the spec): the activity
 * is *unknown*, not "never" — a product the user never used has no entry at all.
 */
export type ProductLastActive = {
  /** last-active-dates product key (`jira-software`, `confluence`, `jira-core` …); open. */
  key: string;
  /** Product instance id, often an ARI (`ari:cloud:jira::site/<cloudId>`). */
  id: string;
} & (
  | {
      lastActiveKnown: true;
      /** `YYYY-MM-DD` (UTC), from `last_active` (or the timestamp when only that is sent). */
      lastActiveDate: string;
      /** From `last_active_timestamp` when present; undefined when only the date is known. */
      lastActiveAt: Date | undefined;
    }
  | { lastActiveKnown: false; lastActiveDate: undefined; lastActiveAt: undefined }
);

export interface LastActiveDates {
  accountId: string;
  /** Only for orgs on the centralized user-management experience. */
  addedToOrg?: Date | undefined;
  /**
   * One entry per product the user used. `[]` means the API said "never active" (or not yet
   * aggregated, ≤24 h) — it is only ever returned from a successful call. An entry whose
   * activity the API left out has `lastActiveKnown: false`.
   */
  products: ProductLastActive[];
}

const dateLike = z
  .string()
  .refine((s) => s === "" || parseTimestamp(s) !== undefined, { message: "unparsable date" });

// id and key are required by the spec; without them the entry cannot be placed.
const productSchema = z.object({
  key: z.string().min(1),
  id: z.string().min(1),
  last_active: dateLike.nullish(),
  last_active_timestamp: dateLike.nullish(),
});

const cursorLinks = z.object({ next: z.string().nullish() }).nullish();

const pageSchema = z.object({
  data: z.object({
    product_access: z.array(productSchema),
    added_to_org: optionalString,
    added_to_org_timestamp: optionalString,
    links: cursorLinks,
  }),
  links: cursorLinks,
});

function toProduct(p: z.output<typeof productSchema>): ProductLastActive {
  const ts = p.last_active_timestamp ? parseTimestamp(p.last_active_timestamp) : undefined;
  if (p.last_active) {
    // date-only per spec; older payloads sent a date-time — keep its UTC date
    const d = parseTimestamp(p.last_active);
    const date =
      /^\d{4}-\d{2}-\d{2}$/.test(p.last_active) || !d ? p.last_active.slice(0, 10) : toIsoDate(d);
    return { key: p.key, id: p.id, lastActiveKnown: true, lastActiveDate: date, lastActiveAt: ts };
  }
  if (ts) {
    return {
      key: p.key,
      id: p.id,
      lastActiveKnown: true,
      lastActiveDate: toIsoDate(ts),
      lastActiveAt: ts,
    };
  }
  return {
    key: p.key,
    id: p.id,
    lastActiveKnown: false,
    lastActiveDate: undefined,
    lastActiveAt: undefined,
  };
}

/**
 * `GET /admin/v1/orgs/{orgId}/directory/users/{accountId}/last-active-dates` — a user's last
 * activity per product, all pages (family B). Paced at the documented 200 requests/minute per
 * org; retried after a 500. Throws typed errors — NotFoundError with `userGone` for a user
 * who is no longer there (`ADMIN-404-8`), SchemaError when an entry lacks `id`/`key` (the read
 * is then failed as a whole: a partial answer would read as "not used") — and never returns
 * an empty result for a failed call.
 */
export async function getLastActiveDates(
  client: AtlassianClient,
  params: { orgId: string; accountId: string; signal?: AbortSignal } & PageBounds,
): Promise<LastActiveDates> {
  const p = path`/admin/v1/orgs/${params.orgId}/directory/users/${params.accountId}/last-active-dates`;
  let addedToOrg: Date | undefined;
  const products: ProductLastActive[] = [];
  const pages = walkPages({
    endpoint: "last-active-dates",
    label: `GET ${p}`,
    maxPages: params.maxPages ?? 100,
    maxEmptyPages: params.maxEmptyPages,
    signal: params.signal,
    scrub: (t) => client.redact(t),
    fetchPage: async (cursor) => {
      const body = await requestJson(
        client,
        {
          endpoint: "last-active-dates",
          orgId: params.orgId,
          method: "GET",
          path: p,
          query: { cursor },
          idempotent: true,
          signal: params.signal,
        },
        pageSchema,
      );
      const added = body.data.added_to_org_timestamp ?? body.data.added_to_org;
      if (added && addedToOrg === undefined) addedToOrg = parseTimestamp(added);
      return {
        items: body.data.product_access.map(toProduct),
        next: body.links?.next ?? body.data.links?.next,
      };
    },
  });
  for await (const page of pages) products.push(...page.items);
  const out: LastActiveDates = { accountId: params.accountId, products };
  if (addedToOrg) out.addedToOrg = addedToOrg;
  return out;
}
