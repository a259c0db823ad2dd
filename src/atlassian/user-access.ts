import type { AtlassianClient, RequestSpec } from "./client.ts";
import { AtlassianApiError, BadRequestError, ConflictError, NotFoundError } from "./errors.ts";
import { path } from "./http.ts";
import { getUser } from "./users.ts";
import type { WriteOutcome } from "./write-outcome.ts";

export interface UserAccessParams {
  orgId: string;
  /** A real directory id (resolve with listDirectories; `-` is for reads only). */
  directoryId: string;
  accountId: string;
  /**
   * When the v2 endpoint is missing (404 without a user/org code, 405, 410, 501), retry once on
   * the sunset v1 endpoint (centralized orgs only; accepts 200 `{message}` or 204).
   */
  legacyFallback?: boolean;
  /**
   * suspend/restore only: read the user first and answer `"already"` without writing when the
   * membership is already in the requested state. The v2 API answers 204 either way, so this is
   * the only way to tell "done now" from "was already so" (costs one extra read).
   */
  precheck?: boolean;
  signal?: AbortSignal;
}

async function membershipIs(
  client: AtlassianClient,
  params: UserAccessParams,
  status: string,
): Promise<boolean> {
  const u = await getUser(client, {
    orgId: params.orgId,
    directoryId: params.directoryId,
    accountId: params.accountId,
    ...(params.signal ? { signal: params.signal } : {}),
  });
  return u.membershipStatus === status;
}

/** 4xx bodies that say the user is already in the requested state. */
function saysAlready(e: unknown): boolean {
  if (e instanceof ConflictError) return e.reason === "already";
  if (e instanceof BadRequestError)
    return /already/i.test(`${e.body?.message ?? ""} ${e.body?.snippet ?? ""}`);
  return false;
}

/**
 * A v2 answer that means "this endpoint does not exist here", not "this user/directory does not
 * exist". Only a 404 the admin service itself did not answer counts: a gateway `{code, message}`,
 * HTML or empty body. An `ADMIN-…` 404 (user, org, directory, group, unknown resource) comes from
 * the service behind a route that exists; falling back to v1 then would act on every directory
 * of the user (v1 has no directory in its path) instead of failing on the wrong directoryId.
 */
function endpointMissing(e: unknown): boolean {
  if (e instanceof NotFoundError) {
    const shape = e.body?.shape;
    const serviceAnswered = shape === "errors" || shape === "application" || shape === "spring";
    return !serviceAnswered && !/^ADMIN-/i.test(e.code ?? "");
  }
  return (
    e instanceof AtlassianApiError && (e.status === 405 || e.status === 410 || e.status === 501)
  );
}

async function write(
  client: AtlassianClient,
  params: UserAccessParams,
  v2: Omit<RequestSpec, "endpoint" | "orgId" | "signal" | "idempotent">,
  v1: Omit<RequestSpec, "endpoint" | "orgId" | "signal" | "idempotent">,
  isAlready: (e: unknown) => boolean,
): Promise<WriteOutcome> {
  // never retried after a 500: the write may have happened
  const base = {
    endpoint: "user-writes" as const,
    orgId: params.orgId,
    idempotent: false,
    signal: params.signal,
  };
  try {
    await client.request({ ...base, ...v2 });
    return "done";
  } catch (e) {
    if (isAlready(e)) return "already";
    if (!params.legacyFallback || !endpointMissing(e)) throw e;
  }
  try {
    await client.request({ ...base, ...v1 });
    return "done";
  } catch (e) {
    if (isAlready(e)) return "already";
    throw e;
  }
}

/**
 * `POST /admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}/suspend` (204).
 * Suspends access to every product in the directory (not per product). Returns `"done"`, or
 * `"already"` when the API says the user is already suspended (or, with `precheck`, a read
 * shows it). Throws NotFoundError (`userGone` for `ADMIN-404-8`) and other typed errors; never
 * retried after a 500.
 */
export async function suspendUser(
  client: AtlassianClient,
  params: UserAccessParams,
): Promise<WriteOutcome> {
  const { orgId, directoryId, accountId } = params;
  if (params.precheck && (await membershipIs(client, params, "suspended"))) return "already";
  return write(
    client,
    params,
    {
      method: "POST",
      path: path`/admin/v2/orgs/${orgId}/directories/${directoryId}/users/${accountId}/suspend`,
    },
    {
      method: "POST",
      path: path`/admin/v1/orgs/${orgId}/directory/users/${accountId}/suspend-access`,
    },
    saysAlready,
  );
}

/**
 * `POST …/users/{accountId}/restore` (204). Returns `"done"`, or `"already"` when the user is
 * already active (said by the API, or seen by `precheck`). Throws like suspendUser.
 */
export async function restoreUser(
  client: AtlassianClient,
  params: UserAccessParams,
): Promise<WriteOutcome> {
  const { orgId, directoryId, accountId } = params;
  if (params.precheck && (await membershipIs(client, params, "active"))) return "already";
  return write(
    client,
    params,
    {
      method: "POST",
      path: path`/admin/v2/orgs/${orgId}/directories/${directoryId}/users/${accountId}/restore`,
    },
    {
      method: "POST",
      path: path`/admin/v1/orgs/${orgId}/directory/users/${accountId}/restore-access`,
    },
    saysAlready,
  );
}

/**
 * `DELETE /admin/v2/orgs/{orgId}/directories/{directoryId}/users/{accountId}` (204). Removes the
 * user from the directory (roles and memberships are lost). Returns `"done"`, or `"already"`
 * for 404 `ADMIN-404-8` (the user is already gone). Never retried after a 500.
 */
export function removeUser(
  client: AtlassianClient,
  params: UserAccessParams,
): Promise<WriteOutcome> {
  const { orgId, directoryId, accountId } = params;
  return write(
    client,
    params,
    {
      method: "DELETE",
      path: path`/admin/v2/orgs/${orgId}/directories/${directoryId}/users/${accountId}`,
    },
    { method: "DELETE", path: path`/admin/v1/orgs/${orgId}/directory/users/${accountId}` },
    (e) => saysAlready(e) || (e instanceof NotFoundError && e.code === "ADMIN-404-8"),
  );
}
