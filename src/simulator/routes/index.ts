import type { Route } from "../http/route.ts";
import { directoryRoutes } from "./directories.routes.ts";
import { domainRoutes } from "./domains.routes.ts";
import { eventRoutes } from "./events.routes.ts";
import { groupWriteRoutes } from "./group-writes.routes.ts";
import { groupRoutes } from "./groups.routes.ts";
import { lastActiveRoutes } from "./last-active.routes.ts";
import { legacyV1Routes } from "./legacy-v1.routes.ts";
import { lifecycleRoutes } from "./lifecycle.routes.ts";
import { orgRoutes } from "./orgs.routes.ts";
import { userRoleRoutes } from "./user-roles.routes.ts";
import { userRoutes } from "./users.routes.ts";
import { v1UserRoutes } from "./v1-users.routes.ts";
import { workspaceRoutes } from "./workspaces.routes.ts";

/** Every route the simulator serves, literal paths before parameterised ones. */
export function allRoutes(legacyV1: "off" | "on" | "sunset"): Route[] {
  return [
    ...orgRoutes,
    ...directoryRoutes,
    ...userRoutes,
    ...groupRoutes,
    ...groupWriteRoutes,
    ...v1UserRoutes,
    ...userRoleRoutes,
    ...domainRoutes,
    ...lastActiveRoutes,
    ...eventRoutes,
    ...workspaceRoutes,
    ...lifecycleRoutes,
    ...(legacyV1 === "off" ? [] : legacyV1Routes),
  ];
}

/** Method and path template of every route (for conformance coverage checks). */
export function routeTable(
  legacyV1: "off" | "on" | "sunset" = "on",
): { method: string; template: string; name: string }[] {
  return allRoutes(legacyV1).map(({ method, template, name }) => ({ method, template, name }));
}
