import { z } from "zod";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import { adminErrors, json } from "../errors.ts";
import type { Route, RouteContext } from "../http/route.ts";
import type { SimEvent } from "../model.ts";
import { invalidCursor } from "./common.ts";

/** Action ids the simulator emits, with the display names `event-actions` lists. */
export const EVENT_ACTIONS: Record<string, { displayName: string; group: string }> = {
  user_suspended: { displayName: "Suspended user access", group: "User management" },
  user_restored: { displayName: "Restored user access", group: "User management" },
  user_removed_from_directory: {
    displayName: "Removed user from directory",
    group: "User management",
  },
  group_member_added: { displayName: "Added user to group", group: "Group management" },
  group_member_removed: { displayName: "Removed user from group", group: "Group management" },
  group_role_assigned: { displayName: "Granted product role to group", group: "Group management" },
  group_role_revoked: { displayName: "Revoked product role from group", group: "Group management" },
  group_created: { displayName: "Created group", group: "Group management" },
  group_deleted: { displayName: "Deleted group", group: "Group management" },
  user_role_assigned: { displayName: "Granted role to user", group: "User management" },
  user_role_revoked: { displayName: "Revoked role from user", group: "User management" },
  account_deactivated: { displayName: "Deactivated account", group: "Account management" },
  account_reactivated: { displayName: "Reactivated account", group: "Account management" },
  account_deletion_scheduled: {
    displayName: "Scheduled deletion of account",
    group: "Account management",
  },
  account_deletion_canceled: {
    displayName: "Canceled deletion of account",
    group: "Account management",
  },
};

/** `EventModel`. The actor is the API key (auth type `api-token`). */
function eventModel(ctx: RouteContext, e: SimEvent): Record<string, unknown> {
  const { org } = ctx.state;
  const u = e.targetType === "users" ? ctx.state.user(e.targetId) : undefined;
  const target = e.targetType === "groups" ? ctx.state.group(e.targetId) : undefined;
  const context: Record<string, unknown>[] = [
    {
      id: e.targetId,
      type: e.targetType,
      attributes: u
        ? { name: u.name, email: u.email, accountType: u.accountType }
        : target
          ? { name: target.name }
          : {},
    },
  ];
  if (e.groupId && e.groupId !== e.targetId) {
    const g = ctx.state.group(e.groupId);
    context.push({ id: e.groupId, type: "groups", attributes: g ? { name: g.name } : {} });
  }
  return {
    id: e.id,
    type: "events",
    attributes: {
      time: e.time,
      action: e.action,
      actor: {
        id: `api-key:${org.id}`,
        name: "Organization API key",
        auth: { authType: "api-token", tokenLabel: "reclaim-simulator" },
      },
      context,
      container: [{ id: org.id, type: "orgs", attributes: { name: org.name } }],
      location: { ip: "127.0.0.1", countryName: "Localhost" },
    },
    links: { self: `${ctx.baseUrl}/admin/v1/orgs/${org.id}/events/${e.id}` },
    message: { content: e.message, format: "simple" },
  };
}

const filterSchema = z.object({
  q: z.string().optional(),
  action: z.string().optional(),
  from: z.number().optional(),
  to: z.number().optional(),
  limit: z.number().int().min(1).max(500),
});
type EventFilter = z.infer<typeof filterSchema>;

export const eventRoutes: Route[] = [
  {
    method: "GET",
    template: "/admin/v1/orgs/{orgId}/events",
    name: "events.list",
    rateClass: "events",
    family: "v1",
    handle(ctx) {
      const { org } = ctx.state;
      let filter: EventFilter;
      // Cursors hold the sequence to continue below, so new events never shift a walk.
      let before = Number.POSITIVE_INFINITY;
      const cursor = ctx.query.get("cursor");
      if (cursor !== null) {
        const c = z
          .object({ f: filterSchema, before: z.number().int() })
          .safeParse(decodeCursor(org.id, "events", cursor));
        if (!c.success) return invalidCursor();
        filter = c.data.f;
        before = c.data.before;
      } else {
        const num = (k: string) => {
          const v = ctx.query.get(k);
          return v === null ? undefined : Number(v);
        };
        const parsed = filterSchema.safeParse({
          q: ctx.query.get("q") ?? undefined,
          action: ctx.query.get("action") ?? undefined,
          from: num("from"),
          to: num("to"),
          limit: num("limit") ?? 30,
        });
        if (!parsed.success) {
          return adminErrors(
            400,
            "ADMIN-400-3",
            "Bad Request",
            "Invalid limit, from or to (epoch milliseconds).",
          );
        }
        filter = parsed.data;
      }
      const matching: SimEvent[] = [];
      for (let i = org.events.length - 1; i >= 0; i--) {
        const e = org.events[i];
        if (!e || e.seq >= before) continue;
        const t = Date.parse(e.time);
        if (filter.action && e.action !== filter.action) continue;
        if (filter.from !== undefined && t < filter.from) continue;
        if (filter.to !== undefined && t > filter.to) continue;
        if (
          filter.q &&
          !`${e.message} ${e.targetId} ${e.action}`.toLowerCase().includes(filter.q.toLowerCase())
        ) {
          continue;
        }
        matching.push(e);
        if (matching.length > filter.limit) break;
      }
      const page = matching.slice(0, filter.limit);
      const last = page.at(-1);
      const next =
        matching.length > filter.limit && last
          ? encodeCursor(org.id, "events", { f: filter, before: last.seq })
          : undefined;
      const base = `${ctx.baseUrl}/admin/v1/orgs/${org.id}/events`;
      return json(200, {
        data: page.map((e) => eventModel(ctx, e)),
        meta: { ...(next ? { next } : {}), page_size: filter.limit },
        links: {
          self: cursor ? `${base}?cursor=${cursor}` : base,
          ...(next ? { next: `${base}?cursor=${next}` } : {}),
        },
      });
    },
  },
  {
    method: "GET",
    template: "/admin/v1/orgs/{orgId}/events/{eventId}",
    name: "events.get",
    rateClass: "events",
    family: "v1",
    handle(ctx) {
      const e = ctx.state.org.events.find((x) => x.id === ctx.params.eventId);
      return e
        ? json(200, { data: eventModel(ctx, e) })
        : adminErrors(
            404,
            "ADMIN-404-4",
            "Not Found",
            `Event ${ctx.params.eventId ?? ""} was not found.`,
          );
    },
  },
  {
    method: "GET",
    template: "/admin/v1/orgs/{orgId}/event-actions",
    name: "events.actions",
    rateClass: "events",
    family: "v1",
    handle: () =>
      json(200, {
        data: Object.entries(EVENT_ACTIONS).map(([id, a]) => ({
          id,
          type: "event-actions",
          attributes: { displayName: a.displayName, groupDisplayName: a.group },
        })),
      }),
  },
];
