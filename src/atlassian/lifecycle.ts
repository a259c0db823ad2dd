import { z } from "zod";
import type { AtlassianClient } from "./client.ts";
import { ConflictError } from "./errors.ts";
import { path, requestJson } from "./http.ts";
import { getUser } from "./users.ts";
import type { WriteOutcome } from "./write-outcome.ts";

/*
 * User-management API (`https://api.atlassian.com/users/{accountId}/manage…`). Works only on
 * managed accounts (verified domain) and only with an org API key WITHOUT scopes — scoped keys
 * get 403 (ForbiddenError). Errors use the `{key, context}` body shape.
 */

export interface LifecycleParams {
  accountId: string;
  /**
   * The org whose request budget these calls count against. The path carries no org, but the
   * API key belongs to one; pass it so lifecycle calls share that org's pacing.
   */
  orgId?: string | undefined;
  /**
   * disable/enable only: read the user first (v2 user details; needs `orgId`) and answer
   * `"already"` without writing when `accountStatus` is already `inactive`/`active`. The API
   * answers 204 either way, so this is the only way to tell "done now" from "was already so".
   */
  precheck?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

export interface Privilege {
  allowed: boolean;
  /** Why not, e.g. `managedAccount`, `externalDirectory.scim`; open. */
  reason?: string | undefined;
}

/** Privileges over one account, keyed by privilege name (`lifecycle.enablement`, `lifecycle.delete` …). */
export type ManagePermissions = Record<string, Privilege>;

const privilege = z.object({
  allowed: z.boolean(),
  reason: z.object({ key: z.string() }).nullish(),
});
// `profile`/`profile.write` are maps of field → privilege rather than a privilege; keep only real ones.
const manageBody = z.record(z.string(), z.unknown());

/**
 * `GET /users/{accountId}/manage` — what the key may do to this account, by privilege name.
 * Throws NotFoundError (`userGone` for `accountNotFound`) and ForbiddenError (`scopedKey`).
 */
export async function getManagePermissions(
  client: AtlassianClient,
  params: LifecycleParams,
): Promise<ManagePermissions> {
  const body = await requestJson(
    client,
    {
      endpoint: "lifecycle",
      orgId: params.orgId,
      method: "GET",
      path: path`/users/${params.accountId}/manage`,
      idempotent: true,
      signal: params.signal,
    },
    manageBody,
  );
  const out: ManagePermissions = {};
  for (const [name, value] of Object.entries(body)) {
    const parsed = privilege.safeParse(value);
    if (parsed.success)
      out[name] = { allowed: parsed.data.allowed, reason: parsed.data.reason?.key };
  }
  return out;
}

/** With `precheck`: whether the account already has `status` (one v2 read). */
async function accountIs(params: LifecycleParams, client: AtlassianClient, status: string) {
  if (params.orgId === undefined) {
    throw new TypeError(
      "lifecycle precheck needs orgId: the account is read through the org's v2 API",
    );
  }
  const u = await getUser(client, {
    orgId: params.orgId,
    accountId: params.accountId,
    ...(params.signal ? { signal: params.signal } : {}),
  });
  return u.accountStatus === status;
}

async function lifecycle(
  client: AtlassianClient,
  params: LifecycleParams,
  action: "disable" | "enable" | "delete" | "cancel-delete",
  body?: unknown,
): Promise<WriteOutcome> {
  try {
    await client.request({
      endpoint: "lifecycle",
      orgId: params.orgId,
      method: "POST",
      path: path`/users/${params.accountId}/manage/lifecycle/${action}`,
      body,
      idempotent: false,
      signal: params.signal,
    });
    return "done";
  } catch (e) {
    if (e instanceof ConflictError && e.reason === "already") return "already";
    throw e;
  }
}

/**
 * `POST /users/{accountId}/manage/lifecycle/disable` (204) — deactivate a managed account.
 * `message` is shown to the user (a default is used when omitted). Returns `"done"`, or
 * `"already"` for a 409 saying so or, with `precheck`, an account already inactive. Throws
 * ForbiddenError for an account the key may not manage, NotFoundError (`userGone`) for an
 * unknown one; never retried after a 500.
 */
export async function disableAccount(
  client: AtlassianClient,
  params: LifecycleParams & { message?: string },
): Promise<WriteOutcome> {
  if (params.precheck && (await accountIs(params, client, "inactive"))) return "already";
  return lifecycle(
    client,
    params,
    "disable",
    params.message !== undefined ? { message: params.message } : {},
  );
}

/**
 * `POST /users/{accountId}/manage/lifecycle/enable` (204) — reactivate. Cancel a pending delete
 * first. Returns `"done"`, or `"already"` (409 saying so, or `precheck` seeing it active).
 * Throws like disableAccount.
 */
export async function enableAccount(
  client: AtlassianClient,
  params: LifecycleParams,
): Promise<WriteOutcome> {
  if (params.precheck && (await accountIs(params, client, "active"))) return "already";
  return lifecycle(client, params, "enable");
}

/**
 * `POST /users/{accountId}/manage/lifecycle/delete` (200 `{message}`) — schedule deletion
 * after a 14-day grace period. 409 `conflict.lifecycleErrors` (not eligible) throws ConflictError.
 */
export function deleteAccount(
  client: AtlassianClient,
  params: LifecycleParams,
): Promise<WriteOutcome> {
  return lifecycle(client, params, "delete");
}

/** `POST /users/{accountId}/manage/lifecycle/cancel-delete` (200) — undo a scheduled deletion. */
export function cancelDeleteAccount(
  client: AtlassianClient,
  params: LifecycleParams,
): Promise<WriteOutcome> {
  return lifecycle(client, params, "cancel-delete");
}
