import { z } from "zod";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import { applicationError, json } from "../errors.ts";
import type { Route, RouteContext } from "../http/route.ts";
import type { SimWorkspace } from "../model.ts";

/** `QueryVariants`: a recursive filter tree (and / nor / field / searchWorkspaces / features / policies). */
type Query =
  | { and: Query[] }
  | { nor: Query[] }
  | { field: { name?: string; values?: string[] } }
  | { searchWorkspaces: string; value?: string }
  | { features: string[] }
  | { policies: string[] };

const querySchema: z.ZodType<Query> = z.lazy(() =>
  z.union([
    z.object({ and: z.array(querySchema) }),
    z.object({ nor: z.array(querySchema) }),
    z.object({
      field: z.object({ name: z.string().optional(), values: z.array(z.string()).optional() }),
    }),
    z.object({ searchWorkspaces: z.string(), value: z.string().optional() }),
    z.object({ features: z.array(z.string()) }),
    z.object({ policies: z.array(z.string()) }),
  ]),
);

const requestSchema = z.object({
  query: querySchema.nullable().optional(),
  limit: z.number().int().min(1).max(1000).optional(),
  sort: z
    .array(z.object({ field: z.string().optional(), order: z.enum(["asc", "desc"]).optional() }))
    .nullable()
    .optional(),
  cursor: z.string().nullable().optional(),
});
type WorkspaceRequest = z.infer<typeof requestSchema>;

/** Values a field name reads from a workspace (only the fields the simulator models). */
function fieldValue(w: SimWorkspace, name: string): string | undefined {
  const family = w.key.startsWith("jira") ? "jira" : w.key;
  switch (name) {
    case "attributes.type":
      return family;
    case "attributes.typeKey":
      return w.key;
    case "attributes.name":
      return w.siteName;
    case "attributes.hostUrl":
      return w.hostUrl;
    case "attributes.status":
      return "online";
    case "id":
      return w.id;
    default:
      return undefined;
  }
}

function matches(w: SimWorkspace, q: Query): boolean {
  if ("and" in q) return q.and.every((s) => matches(w, s));
  if ("nor" in q) return !q.nor.some((s) => matches(w, s));
  if ("field" in q) {
    const v = q.field.name ? fieldValue(w, q.field.name) : undefined;
    return v !== undefined && (q.field.values ?? []).includes(v);
  }
  if ("searchWorkspaces" in q) {
    const t = (q.value ?? q.searchWorkspaces).toLowerCase();
    return w.siteName.toLowerCase().includes(t) || w.hostUrl.toLowerCase().includes(t);
  }
  // Features and policies are not modelled: no workspace has any.
  return false;
}

/** `WorkspaceModel`. `id` is the product ARI, the same id last-active-dates reports. */
function workspaceModel(ctx: RouteContext, w: SimWorkspace): Record<string, unknown> {
  return {
    id: w.id,
    type: "workspaces",
    attributes: {
      name: w.siteName,
      typeKey: w.key,
      type: w.key.startsWith("jira") ? "jira" : w.key,
      owner: null,
      status: "online",
      statusDetails: [],
      icons: {},
      avatars: {},
      labels: [],
      sandbox: { type: "NONE" },
      usage: null,
      capacity: w.capacity,
      createdAt: w.createdAt,
      createdBy: null,
      hostUrl: w.hostUrl,
      realm: "us",
      regions: ["us-east-1"],
    },
    links: {
      self: `${ctx.baseUrl}/admin/v2/orgs/${ctx.state.org.id}/workspaces/${encodeURIComponent(w.id)}`,
    },
    relationships: {
      entitlements: [
        {
          id: `entitlement-${w.cloudId}-${w.key}`,
          type: "entitlements",
          attributes: { key: w.key, planKey: null, plan: null },
        },
      ],
    },
  };
}

const invalid = (detail: string) => applicationError(400, "ADMIN-400-4", "Bad Request", detail);

export const workspaceRoutes: Route[] = [
  {
    method: "POST",
    template: "/admin/v2/orgs/{orgId}/workspaces",
    name: "workspaces.search",
    rateClass: "default",
    family: "workspaces",
    handle(ctx) {
      const parsed = requestSchema.safeParse(ctx.body ?? {});
      if (!parsed.success)
        return invalid(`Invalid request: ${parsed.error.issues[0]?.message ?? "body"}`);
      let req: WorkspaceRequest = parsed.data;
      let offset = 0;
      if (typeof req.cursor === "string") {
        const { cursor, ...rest } = req;
        if (Object.values(rest).some((v) => v !== undefined)) {
          return invalid("When cursor is present no other properties may be present.");
        }
        const p = z
          .object({ req: requestSchema, off: z.number().int().min(1) })
          .safeParse(decodeCursor(ctx.state.org.id, "workspaces", cursor));
        if (!p.success)
          return applicationError(400, "ADMIN-400-1", "Bad Request", "Invalid page cursor.");
        req = p.data.req;
        offset = p.data.off;
      }
      const limit = req.limit ?? 20;
      const query = req.query;
      let items = ctx.state.org.workspaces.filter((w) => !query || matches(w, query));
      const sort = req.sort?.[0];
      if (sort?.field) {
        const field = sort.field;
        const sign = sort.order === "desc" ? -1 : 1;
        items = [...items].sort(
          (a, b) => sign * (fieldValue(a, field) ?? "").localeCompare(fieldValue(b, field) ?? ""),
        );
      }
      if (offset > 0 && offset >= items.length) {
        return applicationError(400, "ADMIN-400-1", "Bad Request", "Invalid page cursor.");
      }
      const page = items.slice(offset, offset + limit);
      const links: Record<string, string> = {
        self: `${ctx.baseUrl}/admin/v2/orgs/${ctx.state.org.id}/workspaces`,
      };
      if (offset + limit < items.length) {
        links.next = encodeCursor(ctx.state.org.id, "workspaces", {
          req: { ...req, cursor: undefined },
          off: offset + limit,
        });
      }
      return json(200, {
        data: page.map((w) => workspaceModel(ctx, w)),
        links,
        meta: {
          pageSize: limit,
          startIndex: page.length > 0 ? offset : null,
          endIndex: page.length > 0 ? offset + page.length - 1 : null,
          total: items.length,
        },
      });
    },
  },
];
