import { json } from "../errors.ts";
import type { Route, RouteContext } from "../http/route.ts";
import { decodeCursor } from "../cursor.ts";
import { invalidCursor } from "./common.ts";

/** `OrgModel` (JSON:API-ish envelope). */
function orgModel(ctx: RouteContext): Record<string, unknown> {
  const { org } = ctx.state;
  const self = `${ctx.baseUrl}/admin/v1/orgs/${org.id}`;
  return {
    id: org.id,
    type: "orgs",
    attributes: { name: org.name },
    relationships: {
      domains: { links: { related: `${self}/domains` } },
      users: { links: { related: `${self}/users` } },
    },
    links: { self },
  };
}

export const orgRoutes: Route[] = [
  {
    method: "GET",
    template: "/admin/v1/orgs",
    name: "orgs.list",
    rateClass: "default",
    family: "v1",
    handle(ctx) {
      // One key sees one org, so there is never a second page; any cursor is foreign.
      const cursor = ctx.query.get("cursor");
      if (cursor !== null && !decodeCursor(ctx.state.org.id, "orgs", cursor))
        return invalidCursor();
      return json(200, { data: [orgModel(ctx)], links: { self: `${ctx.baseUrl}/admin/v1/orgs` } });
    },
  },
  {
    method: "GET",
    template: "/admin/v1/orgs/{orgId}",
    name: "orgs.get",
    rateClass: "default",
    family: "v1",
    handle: (ctx) => json(200, { data: orgModel(ctx) }),
  },
];
