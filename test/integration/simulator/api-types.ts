/**
 * The tests' own reading of the response shapes they inspect (deliberately not imported from
 * src/simulator, so a wrong field name in the simulator shows up as a failing assertion).
 */

/** Any error body: admin `errors[]`, gateway `{code, message}`, bare `ApplicationError`, or
 * user-management `{key, context}`. */
export interface ErrorBody {
  errors?: { id: string; status: string; code: string; title: string; detail: string }[];
  code?: number | string;
  message?: string;
  key?: string;
  context?: { allowed?: boolean; reason?: { key: string }; accountId?: string; message?: string };
}

export interface CursorLinks {
  self?: string;
  prev?: string;
  next?: string;
}

export interface Page<T> {
  data: T[];
  links?: CursorLinks;
}

export interface V2User {
  accountId: string;
  accountType: string;
  status: string;
  accountStatus: string;
  membershipStatus: string;
  name: string;
  nickname: string;
  email: string;
  addedToOrg: string;
  deactivatedOn?: string;
  platformRoles?: string[];
  /** `lastActiveTimestamp` is optional in the spec (and absent under the matching fault). */
  productAccess?: { key: string; id: string; lastActiveTimestamp?: string }[];
  groups?: { id: string; name: string | null; description: string | null }[];
  counts?: { resources?: number };
}

export interface UserRoleAssignment {
  resourceId: string;
  resourceOwner: string;
  roles: string[];
  roleAssignments: { role: string; roleAssignmentMethods: string[] }[];
  directoryId: string | null;
  userDirectoryStatus: string | null;
}

export interface Group {
  id: string;
  name: string;
  externalSynced: boolean;
  managedBy: string;
  managementAccess: { deletable: boolean; modifiable: boolean; readable: boolean };
  counts?: { users?: number; resources?: number };
}

export interface LastActivePage {
  data: {
    product_access: {
      id: string;
      key: string;
      last_active: string;
      last_active_timestamp: string;
    }[];
    added_to_org?: string | null;
    added_to_org_timestamp?: string | null;
  };
  links?: { next?: string };
}

export interface WorkspacePage {
  data: { id: string; type: string; attributes: { hostUrl: string | null; typeKey: string } }[];
  links: CursorLinks;
  meta: { pageSize: number; startIndex: number | null; endIndex: number | null; total: number };
}

export interface OrgModel {
  id: string;
  type: string;
  attributes: { name: string };
}

export interface V1UserPage {
  data: { account_id: string; last_active?: string; product_access: unknown[] }[];
  meta: { total: number };
  links: CursorLinks;
}

export interface EventModel {
  id: string;
  attributes: { action: string; time: string; context: { id: string; type: string }[] };
}

export interface EventPage {
  data: EventModel[];
  meta: { next?: string; page_size: number };
  links: CursorLinks;
}
