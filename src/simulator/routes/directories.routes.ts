import { adminErrors, json } from "../errors.ts";
import { queryList } from "../http/query.ts";
import type { Route } from "../http/route.ts";
import { invalidCursor, queryLimit, readOffsetCursor, v2Links } from "./common.ts";

export const directoryRoutes: Route[] = [
  {
    method: "GET",
    template: "/admin/v2/orgs/{orgId}/directories",
    name: "directories.list",
    rateClass: "default",
    family: "v2",
    handle(ctx) {
      let q: Record<string, unknown>;
      let offset = 0;
      let limit: number;
      const cursor = ctx.query.get("cursor");
      if (cursor !== null) {
        const c = readOffsetCursor(ctx, "directories", cursor);
        if (!c) return invalidCursor();
        ({ q, off: offset, limit } = c);
      } else {
        const l = queryLimit(ctx.query, 100);
        if (Number.isNaN(l))
          return adminErrors(400, "ADMIN-400-19", "Bad Request", "limit must be 1..100");
        limit = l ?? 20;
        q = {
          accountId: ctx.query.get("accountId") ?? undefined,
          searchTerm: ctx.query.get("searchTerm") ?? undefined,
          directoryIds: queryList(ctx.query, "directoryIds"),
        };
      }
      const accountId = typeof q.accountId === "string" ? q.accountId : undefined;
      const term = typeof q.searchTerm === "string" ? q.searchTerm.toLowerCase() : undefined;
      const ids = Array.isArray(q.directoryIds) ? (q.directoryIds as string[]) : [];
      const read = accountId ? ctx.state.readUser(accountId, ctx.now) : undefined;
      const user = read && ctx.state.isDirectoryAccount(read) ? read : undefined;
      const dirs = ctx.state.org.directories.filter(
        (d) =>
          (!accountId || user?.memberships[d.directoryId] !== undefined) &&
          (!term || d.name.toLowerCase().includes(term)) &&
          (ids.length === 0 || ids.includes(d.directoryId)),
      );
      if (offset > dirs.length) return invalidCursor();
      return json(200, {
        data: dirs.slice(offset, offset + limit).map((d) => ({ ...d })),
        links: v2Links(ctx, "directories", q, offset, limit, dirs.length),
      });
    },
  },
];
