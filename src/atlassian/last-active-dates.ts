import { z } from "zod";
import type { AtlassianClient } from "./client.ts";
import { path, requestJson } from "./http.ts";
import { walkPages } from "./pagination.ts";
import { optionalString } from "./schemas.ts";
import { parseTimestamp, toIsoDate } from "./timestamps.ts";

export interface ProductLastActive {
  /** last-active-dates product key (`jira-software`, `confluence`, `jira-core` …); open. */
  key: string;
  /** Product instance id, often an ARI (`ari:cloud:jira::site/<cloudId>`). */
  id: string;
  /** `YYYY-MM-DD` (UTC), from `last_active` (or the timestamp when only that is sent). */
  lastActiveDate: string;
  /** From `last_active_timestamp` when present; undefined when only the date is known. */
  lastActiveAt: Date | undefined;
}

export interface LastActiveDates {
  accountId: string;
  /** Only for orgs on the centralized user-management experience. */
  addedToOrg?: Date | undefined;
  /**
   * One entry per product the user used. `[]` means the API said "never active" (or not yet
   * aggregated, ≤24 h) — it is only ever returned from a successful call.
   */
  products: ProductLastActive[];
}

const dateLike = z
  .string()
  .refine((s) => parseTimestamp(s) !== undefined, { message: "unparsable date" });

const productSchema = z
  .object({
    key: z.string(),
    id: z.string(),
    last_active: dateLike.nullish(),
    last_active_timestamp: dateLike.nullish(),
  })
  .refine((p) => Boolean(p.last_active) || Boolean(p.last_active_timestamp), {
    message: "product_access entry has neither last_active nor last_active_timestamp",
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
  let date: string;
  if (p.last_active) {
    // date-only per spec; older payloads sent a date-time — keep its UTC date
    const d = parseTimestamp(p.last_active);
    date =
      /^\d{4}-\d{2}-\d{2}$/.test(p.last_active) || !d ? p.last_active.slice(0, 10) : toIsoDate(d);
  } else {
    date = toIsoDate(ts as Date);
  }
  return { key: p.key, id: p.id, lastActiveDate: date, lastActiveAt: ts };
}

/**
 * `GET /admin/v1/orgs/{orgId}/directory/users/{accountId}/last-active-dates` — a user's last
 * activity per product, all pages (family B). Paced at the documented 200 requests/minute per
 * org. Throws typed errors (NotFoundError `ADMIN-404-8` for an unknown user); never returns
 * an empty result for a failed call.
 */
export async function getLastActiveDates(
  client: AtlassianClient,
  params: { orgId: string; accountId: string; signal?: AbortSignal; maxPages?: number },
): Promise<LastActiveDates> {
  const p = path`/admin/v1/orgs/${params.orgId}/directory/users/${params.accountId}/last-active-dates`;
  let addedToOrg: Date | undefined;
  const products: ProductLastActive[] = [];
  const pages = walkPages({
    endpoint: "last-active-dates",
    label: `GET ${p}`,
    maxPages: params.maxPages ?? 100,
    signal: params.signal,
    fetchPage: async (cursor) => {
      const body = await requestJson(
        client,
        {
          endpoint: "last-active-dates",
          orgId: params.orgId,
          method: "GET",
          path: p,
          query: { cursor },
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
