/**
 * The policy step's writes against the simulator over real HTTP: each outcome is what the
 * simulator's ground truth says happened, repeats are "already", a user removed mid-way reads
 * as "user gone", and a 500 on a write is never retried.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assignUserRole,
  disableAccount,
  enableAccount,
  getLastActiveDates,
  getUser,
  listUserRoleAssignments,
  listWorkspaces,
  NotFoundError,
  removeUser,
  revokeUserRole,
  ServerError,
  suspendUser,
} from "../../../src/atlassian/index.ts";
import type { RunningSimulator, SimOrg, SimUser } from "../../../src/simulator/index.ts";
import { startWithClient } from "./sim-client.ts";

let sim: RunningSimulator;
let client: Awaited<ReturnType<typeof startWithClient>>["client"];
let orgId: string;
let org: SimOrg;
let dir: string;

beforeAll(async () => {
  ({ sim, client, orgId } = await startWithClient());
  org = sim.orgs[0]!;
  dir = org.directories[0]!.directoryId;
});
afterAll(() => sim.close());

function person(exclude: string[] = []): SimUser {
  const u = org.users.find(
    (x) =>
      !exclude.includes(x.accountId) &&
      x.accountType === "atlassian" &&
      x.accountStatus === "active" &&
      x.claimStatus === "managed" &&
      x.managementSource !== "synced" &&
      x.memberships[dir] === "active" &&
      x.platformRoles.length === 0 &&
      x.directRoles.length === 0,
  );
  if (!u) throw new Error("seed has no suitable user");
  return u;
}

describe("direct roles", () => {
  it("assign, assign again, revoke, revoke again — each reaching the ground truth", async () => {
    const u = person();
    const site = (await listWorkspaces(client, { orgId })).find((w) =>
      w.typeKey.startsWith("jira"),
    )!;
    const p = { orgId, accountId: u.accountId, role: "atlassian/user", resource: site.id };

    expect(await assignUserRole(client, p)).toBe("done");
    expect(u.directRoles).toContainEqual({ resourceId: site.id, role: "atlassian/user" });
    const read = await listUserRoleAssignments(client, {
      orgId,
      accountId: u.accountId,
      resourceIds: [site.id],
    });
    const held = read.find((a) => a.resourceId === site.id)!.roles;
    expect(held).toContainEqual(
      expect.objectContaining({ role: "atlassian/user", methodsKnown: true }),
    );
    expect(held.find((r) => r.role === "atlassian/user")!.methods).toContain("direct");

    // the API answers 204 for a repeated assign; only a precheck tells "already"
    expect(await assignUserRole(client, { ...p, precheck: true })).toBe("already");

    expect(await revokeUserRole(client, p)).toBe("done");
    expect(u.directRoles).not.toContainEqual({ resourceId: site.id, role: "atlassian/user" });
    // the simulator answers 404 for a role not held; the client reads the roles to tell it apart
    expect(await revokeUserRole(client, p)).toBe("already");
    expect(await revokeUserRole(client, { ...p, precheck: true })).toBe("already");
  });
});

describe("lifecycle with precheck", () => {
  it("disable, disable again, enable, enable again", async () => {
    const u = person();
    const p = { orgId, accountId: u.accountId, precheck: true };
    expect(await disableAccount(client, p)).toBe("done");
    expect(u.accountStatus).toBe("inactive");
    expect(await disableAccount(client, p)).toBe("already");
    expect(await enableAccount(client, p)).toBe("done");
    expect(u.accountStatus).toBe("active");
    expect(await enableAccount(client, p)).toBe("already");
  });
});

describe("a user removed mid-crawl", () => {
  it("every per-user read says 'user gone', and a repeated removal is 'already'", async () => {
    // an unmanaged account in one directory leaves the org when removed from it
    const u = org.users.find(
      (x) =>
        x.claimStatus === "unmanaged" &&
        x.accountType === "atlassian" &&
        Object.keys(x.memberships).join() === dir,
    )!;
    const p = { orgId, directoryId: dir, accountId: u.accountId };
    expect(await removeUser(client, p)).toBe("done");
    for (const read of [
      () => getUser(client, p),
      () => getLastActiveDates(client, p),
      () => listUserRoleAssignments(client, p),
    ]) {
      const e = await read().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(NotFoundError);
      expect((e as NotFoundError).userGone).toBe(true);
    }
    expect(await removeUser(client, p)).toBe("already");
  });
});

describe("a 500 on a write", () => {
  it("is not retried, and nothing changes", async () => {
    const u = person();
    sim.setFaults({ errorRate: 1, statuses: [500] });
    try {
      const before = client.statsByEndpoint()["user-writes"]?.requests ?? 0;
      const e = await suspendUser(client, {
        orgId,
        directoryId: dir,
        accountId: u.accountId,
      }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ServerError);
      expect(client.statsByEndpoint()["user-writes"]!.requests - before).toBe(1);
      expect(u.memberships[dir]).toBe("active");
    } finally {
      sim.setFaults({});
    }
  });
});
