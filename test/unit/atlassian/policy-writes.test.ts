/**
 * The writes the policy step uses: typed outcomes from the API's idempotency signals, a
 * licence-limit 409 that can never pass for "already", and no retry after a 500.
 */
import { describe, expect, it } from "vitest";
import {
  addGroupMember,
  assignUserRole,
  ConflictError,
  disableAccount,
  enableAccount,
  LicenseLimitError,
  NotFoundError,
  revokeUserRole,
} from "../../../src/atlassian/index.ts";
import { empty, json, stubClient } from "./stub-fetch.ts";

const errors = (status: number, code: string, detail: string) => () =>
  json(status, { errors: [{ id: "i", status: String(status), code, title: "T", detail }] });
const R = "ari:cloud:jira::site/c1";
const role = { orgId: "o1", accountId: "u1", role: "atlassian/user", resource: R } as const;
const assignments = (methods: string[] | undefined) => () =>
  json(200, {
    data: [
      {
        resourceId: R,
        roleAssignments: [
          { role: "atlassian/user", ...(methods ? { roleAssignmentMethods: methods } : {}) },
        ],
      },
    ],
  });
const noRoles = () => json(200, { data: [] });

describe("direct roles: v1 roles/assign and roles/revoke", () => {
  it("assign sends {role, resource} to the v1 path and answers done", async () => {
    const { client, calls } = stubClient(() => empty(204));
    expect(await assignUserRole(client, role)).toBe("done");
    expect(calls[0]!.method).toBe("POST");
    expect(calls[0]!.url.pathname).toBe("/admin/v1/orgs/o1/users/u1/roles/assign");
    expect(calls[0]!.body).toEqual({ role: "atlassian/user", resource: R });
  });

  it("org-admin needs no resource; any other role does", async () => {
    const { client, calls } = stubClient(() => empty(204));
    expect(
      await assignUserRole(client, { orgId: "o1", accountId: "u1", role: "atlassian/org-admin" }),
    ).toBe("done");
    expect(calls[0]!.body).toEqual({ role: "atlassian/org-admin" });
    await expect(
      assignUserRole(client, { orgId: "o1", accountId: "u1", role: "atlassian/user" }),
    ).rejects.toThrow(/needs a resource/);
    expect(calls).toHaveLength(1);
  });

  it("a licence-limit 409 throws LicenseLimitError — even when its text says 'already'", async () => {
    for (const detail of [
      "Product License Limit Exceeded",
      "User already exceeds the seat limit",
    ]) {
      const { client } = stubClient(errors(409, "ADMIN-UAM-409-3", detail));
      const e = await assignUserRole(client, role).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(LicenseLimitError);
      expect((e as ConflictError).reason).toBe("license-limit");
      expect((e as Error).message).toMatch(/nothing was changed/);
    }
  });

  it("a 409 saying the role is already held is 'already'; any other 409 throws", async () => {
    const already = stubClient(errors(409, "ADMIN-UAM-409-2", "The user already has this role"));
    expect(await assignUserRole(already.client, role)).toBe("already");
    const other = stubClient(errors(409, "ADMIN-UAM-409-2", "Resource conflicts"));
    const e = await assignUserRole(other.client, role).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConflictError);
    expect((e as ConflictError).reason).toBe("other");
  });

  it("assign with precheck: a role already held directly is 'already' without a write; held via a group only, it is written", async () => {
    const held = stubClient([assignments(["group_direct", "direct"]), () => empty(204)]);
    expect(await assignUserRole(held.client, { ...role, precheck: true })).toBe("already");
    expect(held.calls.map((c) => c.method)).toEqual(["GET"]);
    expect(held.calls[0]!.url.searchParams.get("resourceIds")).toBe(R);
    const viaGroup = stubClient([assignments(["group_direct"]), () => empty(204)]);
    expect(await assignUserRole(viaGroup.client, { ...role, precheck: true })).toBe("done");
    expect(viaGroup.calls.map((c) => c.method)).toEqual(["GET", "POST"]);
  });

  it("revoke: 204 done; a 404 is told apart by reading the user's roles", async () => {
    const ok = stubClient(() => empty(204));
    expect(await revokeUserRole(ok.client, role)).toBe("done");
    expect(ok.calls[0]!.url.pathname).toBe("/admin/v1/orgs/o1/users/u1/roles/revoke");

    // not held directly (none, or only through a group): already revoked
    for (const after of [noRoles, assignments(["group_direct"])]) {
      const notHeld = stubClient([errors(404, "ADMIN-UAM-404-1", "no such role"), after]);
      expect(await revokeUserRole(notHeld.client, role)).toBe("already");
      expect(notHeld.calls.map((c) => c.method)).toEqual(["POST", "GET"]);
    }
    // the user is gone: the read says so
    const gone = stubClient([
      errors(404, "ADMIN-UAM-404-1", "user"),
      errors(404, "ADMIN-404-8", "user not found"),
    ]);
    const e = await revokeUserRole(gone.client, role).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NotFoundError);
    expect((e as NotFoundError).userGone).toBe(true);
    // still held directly after a 404, or methods unknown: the 404 stands
    for (const after of [assignments(["direct"]), assignments(undefined)]) {
      const odd = stubClient([errors(404, "ADMIN-UAM-404-1", "?"), after]);
      await expect(revokeUserRole(odd.client, role)).rejects.toBeInstanceOf(NotFoundError);
    }
  });

  it("revoke with precheck: not held directly is 'already' without a write", async () => {
    const { client, calls } = stubClient([assignments(["group_direct"]), () => empty(204)]);
    expect(await revokeUserRole(client, { ...role, precheck: true })).toBe("already");
    expect(calls).toHaveLength(1);
  });
});

describe("lifecycle precheck", () => {
  const user = (accountStatus: string) => () =>
    json(200, { data: { accountId: "u1", accountStatus } });
  it("disable/enable answer 'already' from one read, and write otherwise", async () => {
    const off = stubClient([user("inactive"), () => empty(204)]);
    expect(await disableAccount(off.client, { orgId: "o1", accountId: "u1", precheck: true })).toBe(
      "already",
    );
    expect(off.calls.map((c) => `${c.method} ${c.url.pathname}`)).toEqual([
      "GET /admin/v2/orgs/o1/directories/-/users/u1",
    ]);
    const on = stubClient([user("active"), () => empty(204)]);
    expect(await disableAccount(on.client, { orgId: "o1", accountId: "u1", precheck: true })).toBe(
      "done",
    );
    expect(on.calls[1]!.url.pathname).toBe("/users/u1/manage/lifecycle/disable");
    const enabled = stubClient([user("active")]);
    expect(
      await enableAccount(enabled.client, { orgId: "o1", accountId: "u1", precheck: true }),
    ).toBe("already");
  });
  it("a precheck needs the org", async () => {
    const { client, calls } = stubClient(() => empty(204));
    await expect(disableAccount(client, { accountId: "u1", precheck: true })).rejects.toThrow(
      /precheck needs orgId/,
    );
    expect(calls).toHaveLength(0);
  });
});

describe("memberships: licence limit vs already", () => {
  it("an add refused for the licence limit is never 'already', whatever the wording", async () => {
    const m = { orgId: "o1", directoryId: "d1", groupId: "g1", accountId: "u1" };
    const e = await addGroupMember(
      stubClient(errors(409, "ADMIN-409-3", "The user is already over the licence limit")).client,
      m,
    ).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LicenseLimitError);
    const byText = await addGroupMember(
      stubClient(errors(409, "ADMIN-409-28", "You've exceeded your user limit for Jira")).client,
      m,
    ).catch((x: unknown) => x);
    expect(byText).toBeInstanceOf(LicenseLimitError);
  });
});
