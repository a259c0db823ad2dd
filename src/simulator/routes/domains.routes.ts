import { adminErrors, json } from "../errors.ts";
import type { Route, RouteContext } from "../http/route.ts";
import type { SimDomain } from "../model.ts";
import { decodeCursor } from "../cursor.ts";
import { invalidCursor } from "./common.ts";

/** `DomainModel`: verified domains make their users managed accounts. */
function domainModel(ctx: RouteContext, d: SimDomain): Record<string, unknown> {
  return {
    id: d.id,
    type: "domains",
    attributes: {
      name: d.name,
      claim: { type: "dns", status: d.verified ? "verified" : "unverified" },
    },
    links: { self: `${ctx.baseUrl}/admin/v1/orgs/${ctx.state.org.id}/domains/${d.id}` },
  };
}

export const domainRoutes: Route[] = [
  {
    method: "GET",
    template: "/admin/v1/orgs/{orgId}/domains",
    name: "domains.list",
    rateClass: "default",
    family: "v1",
    handle(ctx) {
      // Every domain fits on one page, so no cursor this server issued can be presented.
      const cursor = ctx.query.get("cursor");
      if (cursor !== null && !decodeCursor(ctx.state.org.id, "domains", cursor))
        return invalidCursor();
      return json(200, {
        data: ctx.state.org.domains.map((d) => domainModel(ctx, d)),
        links: { self: `${ctx.baseUrl}/admin/v1/orgs/${ctx.state.org.id}/domains` },
      });
    },
  },
  {
    method: "GET",
    template: "/admin/v1/orgs/{orgId}/domains/{domainId}",
    name: "domains.get",
    rateClass: "default",
    family: "v1",
    handle(ctx) {
      const d = ctx.state.org.domains.find((x) => x.id === ctx.params.domainId);
      return d
        ? json(200, { data: domainModel(ctx, d) })
        : adminErrors(
            404,
            "ADMIN-404-3",
            "Not Found",
            `Domain ${ctx.params.domainId ?? ""} was not found.`,
          );
    },
  },
];
