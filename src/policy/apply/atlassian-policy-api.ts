/**
 * PolicyApi over the Admin API client (src/atlassian): the only place the policy engine meets
 * HTTP. It takes the org's existing client, so every read and write is paced by the same rate
 * limiter as any crawl of that org in this process. Each write goes through a recording view
 * of the client that keeps the request (method, path, body) and the response (status, body)
 * for the audit; the API key lives in the client's headers and never reaches it.
 */
import {
  addGroupMember,
  assignUserRole,
  AtlassianApiError,
  ConflictError,
  disableAccount,
  enableAccount,
  getLastActiveDates,
  getUser,
  listUserRoleAssignments,
  NotFoundError,
  removeGroupMember,
  restoreUser,
  revokeUserRole,
  searchGroupPages,
  suspendUser,
  type AtlassianClient,
  type WriteOutcome,
} from "../../atlassian/index.ts";
import type { StepOp } from "../../db/tables/policy.ts";
import {
  WriteFailure,
  type Exchange,
  type LiveGroup,
  type PolicyApi,
  type StepTarget,
} from "./policy-api.ts";

/** A view of `client` whose requests are also appended to `exchanges`. */
function recording(client: AtlassianClient): { client: AtlassianClient; exchanges: Exchange[] } {
  const exchanges: Exchange[] = [];
  const request: AtlassianClient["request"] = async (spec) => {
    const base = {
      method: spec.method,
      path: spec.path,
      ...(spec.body !== undefined ? { body: spec.body } : {}),
    };
    try {
      const res = await client.request(spec);
      exchanges.push({
        ...base,
        status: res.status,
        response: res.body ?? (res.text === "" ? null : client.redact(res.text)),
      });
      return res;
    } catch (e) {
      exchanges.push({
        ...base,
        status: e instanceof AtlassianApiError ? (e.status ?? null) : null,
        response: e instanceof AtlassianApiError ? (e.body?.snippet ?? null) : null,
      });
      throw e;
    }
  };
  const view = new Proxy(client, {
    get(target, prop) {
      if (prop === "request") return request;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function"
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
  return { client: view, exchanges };
}

function need<K extends keyof StepTarget>(
  t: StepTarget,
  key: K,
  op: StepOp,
): NonNullable<StepTarget[K]> {
  const v = t[key];
  if (v === undefined || v === null) throw new TypeError(`${op} needs ${key}`);
  return v;
}

export function atlassianPolicyApi(client: AtlassianClient, orgId: string): PolicyApi {
  const opt = (signal?: AbortSignal) => (signal ? { signal } : {});
  return {
    orgId,
    async lastActive(accountId, signal) {
      const data = await getLastActiveDates(client, { orgId, accountId, ...opt(signal) });
      return data.products.map((p) => ({
        productKey: p.key,
        resourceId: p.id,
        lastActiveAt: p.lastActiveAt ?? new Date(`${p.lastActiveDate}T00:00:00Z`),
      }));
    },
    async roleAssignments(accountId, signal) {
      const list = await listUserRoleAssignments(client, { orgId, accountId, ...opt(signal) });
      return list.map((r) => ({
        resourceId: r.resourceId,
        directoryId: r.directoryId ?? null,
        userDirectoryStatus: r.userDirectoryStatus ?? null,
        roles: r.roles.map((x) => ({ role: x.role, methods: [...x.methods] })),
      }));
    },
    async groupsOf(accountId, resourceId, signal) {
      const out: LiveGroup[] = [];
      const pages = searchGroupPages(client, {
        orgId,
        accountIds: [accountId],
        ...(resourceId !== undefined ? { resourceIds: [resourceId] } : {}),
        ...opt(signal),
      });
      for await (const page of pages) {
        for (const g of page.items)
          out.push({
            groupId: g.id,
            name: g.name,
            directoryId: g.directoryId ?? null,
            editable: !g.idpManaged,
          });
      }
      return out;
    },
    async userIn(directoryId, accountId, signal) {
      try {
        const u = await getUser(client, { orgId, directoryId, accountId, ...opt(signal) });
        return { accountStatus: u.accountStatus, membershipStatus: u.membershipStatus };
      } catch (e) {
        if (e instanceof NotFoundError) return null;
        throw e;
      }
    },
    async write(op, t, signal) {
      const rec = recording(client);
      const c = rec.client;
      const accountId = t.accountId;
      try {
        let outcome: WriteOutcome;
        switch (op) {
          case "remove-membership":
          case "add-membership": {
            const params = {
              orgId,
              directoryId: need(t, "directoryId", op),
              groupId: need(t, "groupId", op),
              accountId,
              ...opt(signal),
            };
            outcome =
              op === "remove-membership"
                ? await removeGroupMember(c, params)
                : await addGroupMember(c, params);
            break;
          }
          case "revoke-role":
          case "assign-role":
            {
              const params = {
                orgId,
                accountId,
                role: need(t, "role", op),
                resource: need(t, "resourceId", op),
                ...opt(signal),
              };
              outcome =
                op === "revoke-role"
                  ? await revokeUserRole(c, params)
                  : await assignUserRole(c, params);
            }
            break;
          case "suspend":
          case "restore": {
            const params = {
              orgId,
              directoryId: need(t, "directoryId", op),
              accountId,
              ...opt(signal),
            };
            outcome =
              op === "suspend" ? await suspendUser(c, params) : await restoreUser(c, params);
            break;
          }
          case "disable":
            outcome = await disableAccount(c, {
              accountId,
              orgId,
              message: need(t, "message", op),
              ...opt(signal),
            });
            break;
          case "enable":
            outcome = await enableAccount(c, { accountId, orgId, ...opt(signal) });
            break;
        }
        return { outcome, exchanges: rec.exchanges };
      } catch (e) {
        if (!(e instanceof AtlassianApiError)) throw e;
        throw new WriteFailure(
          e.message,
          rec.exchanges,
          e instanceof ConflictError && e.reason === "license-limit",
          { cause: e },
        );
      }
    },
  };
}
