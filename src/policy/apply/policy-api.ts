/**
 * The port between the apply/undo engine and the Admin API: exactly the reads and writes the
 * engine needs, nothing else. The adapter over src/atlassian (atlassian-policy-api.ts) is the
 * only implementation that talks HTTP, so the engine is tested against the real simulator
 * through it, and a change in the client touches one file.
 */
import type { StepOp } from "../../db/tables/policy.ts";

/** One HTTP exchange of a write, as the audit records it. Never carries headers or the key. */
export interface Exchange {
  method: string;
  path: string;
  body?: unknown;
  /** HTTP status, or null when no response came (network failure, timeout). */
  status: number | null;
  /** Parsed JSON body, the text, or the error body snippet; null when empty. */
  response: unknown;
}

/** Last activity in one product, live. */
export interface LiveActivity {
  productKey: string;
  resourceId: string;
  /** The exact time when the API gave one, else the start (UTC) of the day it gave. */
  lastActiveAt: Date;
}

/** The roles a user holds on one resource, live, and how each is granted. */
export interface LiveRoles {
  resourceId: string;
  /** null for platform roles. */
  directoryId: string | null;
  /** The user's membership in that directory: active | suspended | …; null for platform roles. */
  userDirectoryStatus: string | null;
  /** methods: direct | group_direct | inferred; [] when the API did not say. */
  roles: { role: string; methods: string[] }[];
}

/** A group the user is in, live. */
export interface LiveGroup {
  groupId: string;
  name: string;
  directoryId: string | null;
  /** Membership may be edited through the API: modifiable, not IdP-synced, not externally managed. */
  editable: boolean;
}

/** A user as one directory shows it, live. */
export interface LiveUser {
  /** null when the API did not say. */
  accountStatus: string | null;
  membershipStatus: string | null;
}

/** What a write names. */
export interface StepTarget {
  accountId: string;
  groupId?: string;
  groupName?: string;
  directoryId?: string;
  role?: string;
  resourceId?: string;
  message?: string;
}

export interface WriteResult {
  /** done: the API made the change; already: it said the target was already in that state. */
  outcome: "done" | "already";
  exchanges: Exchange[];
}

/** A write the API refused (or that got no answer), with what was sent and received. */
export class WriteFailure extends Error {
  override name = "WriteFailure";
  constructor(
    message: string,
    readonly exchanges: Exchange[],
    /** 409 licence limit: the product has no free seat (re-adding access on undo). */
    readonly licenseLimit: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface PolicyApi {
  readonly orgId: string;
  /** `GET …/last-active-dates`: every product the user used, live. */
  lastActive(accountId: string, signal?: AbortSignal): Promise<LiveActivity[]>;
  /** `GET …/users/{accountId}/role-assignments`: what the user holds, live. */
  roleAssignments(accountId: string, signal?: AbortSignal): Promise<LiveRoles[]>;
  /** `POST …/groups/search` by member (and resource granted): the user's groups, live. */
  groupsOf(accountId: string, resourceId?: string, signal?: AbortSignal): Promise<LiveGroup[]>;
  /** `GET …/directories/{d}/users/{accountId}`: null when the user is not in that directory. */
  userIn(directoryId: string, accountId: string, signal?: AbortSignal): Promise<LiveUser | null>;
  /**
   * Makes one write. @throws WriteFailure with the exchanges when the API refuses it; other
   * errors (abort) pass through.
   */
  write(op: StepOp, target: StepTarget, signal?: AbortSignal): Promise<WriteResult>;
}
