import { z } from "zod";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import { json } from "../errors.ts";
import type { Route } from "../http/route.ts";
import { v1User } from "../user-views.ts";
import { invalidCursor } from "./common.ts";

const cursorSchema = z.object({ off: z.number().int().min(1) });

export const v1UserRoutes: Route[] = [
  {
    method: "GET",
    template: "/admin/v1/orgs/{orgId}/users",
    name: "v1users.list",
    rateClass: "default",
    family: "v1",
    handle(ctx) {
      const { state } = ctx;
      // Managed accounts only (§3.3.1): an org without a verified domain gets `data: []`.
      const managed = state.org.users.filter((u) => u.claimStatus === "managed");
      let offset = 0;
      const cursor = ctx.query.get("cursor");
      if (cursor !== null) {
        const c = cursorSchema.safeParse(decodeCursor(state.org.id, "v1users", cursor));
        if (!c.success || c.data.off >= managed.length) return invalidCursor();
        offset = c.data.off;
      }
      const size = ctx.options.v1UsersPageSize;
      const base = `${ctx.baseUrl}/admin/v1/orgs/${state.org.id}/users`;
      const url = (off: number) =>
        off === 0 ? base : `${base}?cursor=${encodeCursor(state.org.id, "v1users", { off })}`;
      const links: Record<string, string> = { self: url(offset) };
      if (offset > 0) links.prev = url(Math.max(0, offset - size));
      if (offset + size < managed.length) links.next = url(offset + size);
      return json(200, {
        data: managed
          .slice(offset, offset + size)
          .map((u) => v1User(state, u, ctx.baseUrl, state.org.id, ctx.faults)),
        meta: { total: managed.length },
        links,
      });
    },
  },
];
