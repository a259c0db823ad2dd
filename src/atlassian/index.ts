/**
 * Atlassian Cloud Admin API client: the only code that knows Atlassian's HTTP shapes.
 * Build one client per API key with createAtlassianClient, then call the resource functions
 * (`(client, params)`). All failures are typed errors (see errors.ts); a failed read never
 * comes back as empty data, and a field the API left out comes back as undefined (unknown),
 * never as empty. Page walkers report unusable records in `page.rejected` instead of failing.
 */
export type {
  AtlassianClient,
  AtlassianClientOptions,
  ApiResponse,
  EndpointStats,
  LimiterStats,
  QueryValue,
  RequestEvent,
  RequestSpec,
} from "./client.ts";
export { createAtlassianClient, DEFAULT_BASE_URL } from "./client.ts";
export type { Now, Sleep } from "./clock.ts";
export type { EndpointClass } from "./endpoint-classes.ts";
export { DOCUMENTED_LIMITS_PER_MINUTE, ENDPOINT_CLASSES } from "./endpoint-classes.ts";
export type {
  ConflictReason,
  ErrorBodyShape,
  ErrorKind,
  NotFoundTarget,
  PaginationStop,
  ParsedErrorBody,
} from "./errors.ts";
export {
  AtlassianApiError,
  AuthError,
  BadRequestError,
  ClientError,
  ConflictError,
  DeadlineError,
  ForbiddenError,
  isAtlassianApiError,
  LicenseLimitError,
  NetworkError,
  NotFoundError,
  PaginationLoopError,
  RateLimitError,
  SchemaError,
  ServerError,
} from "./errors.ts";
export { parseErrorBody } from "./error-mapping.ts";
export type { RateLimitInfo } from "./rate-limit-headers.ts";
export { parseRateLimitReset, parseRetryAfter } from "./rate-limit-headers.ts";
export type { BudgetStats } from "./rate-limiter.ts";
export type { Page, PageBounds, RejectedRecord } from "./pagination.ts";
export {
  collectItems,
  cursorFromNext,
  DEFAULT_MAX_EMPTY_PAGES,
  DEFAULT_MAX_PAGES,
  expectedTotalSlack,
} from "./pagination.ts";
export { parseTimestamp } from "./timestamps.ts";
export type { WriteOutcome } from "./write-outcome.ts";

export type { Org } from "./orgs.ts";
export { discoverOrgId, getOrg, listOrgs } from "./orgs.ts";
export type { Directory } from "./directories.ts";
export { listDirectories } from "./directories.ts";
export type {
  DirectoryUser,
  SearchUsersParams,
  UserExpand,
  UserGroupRef,
  UserProductAccess,
  UserSearchFilters,
} from "./users.ts";
export { countUsers, getUser, searchUserPages } from "./users.ts";
export type { LastActiveDates, ProductLastActive } from "./last-active-dates.ts";
export { getLastActiveDates } from "./last-active-dates.ts";
export type { SearchWorkspacesParams, Workspace } from "./workspaces.ts";
export { listWorkspaces, searchWorkspacePages } from "./workspaces.ts";
export type { Group, GroupRoleAssignment, MembershipParams, SearchGroupsParams } from "./groups.ts";
export {
  addGroupMember,
  listGroupRoleAssignments,
  removeGroupMember,
  searchGroupPages,
} from "./groups.ts";
export type { RoleFilters } from "./role-assignments.ts";
export type { HeldRole, UserRoleAssignment } from "./user-role-assignments.ts";
export { listUserRoleAssignments } from "./user-role-assignments.ts";
export type { ProductRole, UserRoleParams } from "./user-roles.ts";
export { assignUserRole, revokeUserRole } from "./user-roles.ts";
export type { UserAccessParams } from "./user-access.ts";
export { removeUser, restoreUser, suspendUser } from "./user-access.ts";
export type { LifecycleParams, ManagePermissions, Privilege } from "./lifecycle.ts";
export {
  cancelDeleteAccount,
  deleteAccount,
  disableAccount,
  enableAccount,
  getManagePermissions,
} from "./lifecycle.ts";
export type { AuditEvent, AuditEventRef, ListEventsParams } from "./events.ts";
export { listEvents } from "./events.ts";
