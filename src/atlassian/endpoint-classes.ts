/**
 * Endpoint classes: the unit of rate limiting, statistics and error reporting.
 * Atlassian publishes limits per organization for some classes (last-active-dates: 200/min,
 * events: 10/min); the rest use a configurable default.
 */
export type EndpointClass =
  | "orgs"
  | "directories"
  | "users-search"
  | "users"
  | "last-active-dates"
  | "user-role-assignments"
  | "user-writes"
  | "groups"
  | "group-role-assignments"
  | "group-writes"
  | "workspaces"
  | "lifecycle"
  | "events";

export const ENDPOINT_CLASSES: readonly EndpointClass[] = [
  "orgs",
  "directories",
  "users-search",
  "users",
  "last-active-dates",
  "user-role-assignments",
  "user-writes",
  "groups",
  "group-role-assignments",
  "group-writes",
  "workspaces",
  "lifecycle",
  "events",
];

/** Documented ceilings, requests per minute per organization (§5 of admin-api.md). */
export const DOCUMENTED_LIMITS_PER_MINUTE: Partial<Record<EndpointClass, number>> = {
  "last-active-dates": 200,
  events: 10,
};
