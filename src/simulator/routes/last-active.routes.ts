import { z } from "zod";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import { adminErrors, json } from "../errors.ts";
import type { Route } from "../http/route.ts";
import { invalidCursor } from "./common.ts";

const cursorSchema = z.object({ off: z.number().int().min(1) });

/** `yyyy-MM-dd'T'HH:mm:ss'Z'` from any ISO timestamp. */
const toSeconds = (iso: string) => `${iso.slice(0, 19)}Z`;

export const lastActiveRoutes: Route[] = [
  {
    method: "GET",
    template: "/admin/v1/orgs/{orgId}/directory/users/{accountId}/last-active-dates",
    name: "lastActive.get",
    rateClass: "last-active",
    family: "v1",
    readsOneUser: true,
    handle(ctx) {
      const accountId = ctx.params.accountId ?? "";
      const u = ctx.state.readUser(accountId, ctx.now);
      // A v1 per-account read: known for any member or managed account, apps included.
      if (!u || !ctx.state.inOrg(u)) {
        return adminErrors(
          404,
          "ADMIN-404-8",
          "Not Found",
          `User ${accountId} was not found in the organization.`,
        );
      }
      const kind = `lastActive:${accountId}`;
      const activity = ctx.state.visibleActivity(u);
      let offset = 0;
      const cursor = ctx.query.get("cursor");
      if (cursor !== null) {
        const c = cursorSchema.safeParse(decodeCursor(ctx.state.org.id, kind, cursor));
        if (!c.success || c.data.off >= activity.length) return invalidCursor();
        offset = c.data.off;
      }
      const ts = ctx.faults.timestamps(accountId);
      const size = ctx.options.lastActivePageSize;
      const items = activity.slice(offset, offset + size).map((a) => ({
        id: a.workspaceId,
        key: ctx.state.workspace(a.workspaceId)?.key ?? "jira-software",
        last_active: a.lastActiveAt.slice(0, 10),
        last_active_timestamp: ts(toSeconds(a.lastActiveAt)),
      }));
      const body: Record<string, unknown> = {
        data: {
          product_access: items,
          added_to_org: u.addedToOrg.slice(0, 10),
          added_to_org_timestamp: ts(toSeconds(u.addedToOrg)),
        },
      };
      if (offset + size < activity.length) {
        body.links = { next: encodeCursor(ctx.state.org.id, kind, { off: offset + size }) };
      }
      return json(200, body);
    },
  },
];
