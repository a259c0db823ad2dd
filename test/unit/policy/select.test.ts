import { describe, expect, it } from "vitest";
import type { PolicyRule } from "../../../src/config/sections/policy.ts";
import type { DormantUserRow } from "../../../src/db/repositories/reports.repository.ts";
import { applyCaps, byPriority, mergeRules } from "../../../src/policy/plan/caps.ts";
import { ruleWindow, selectForRule, type RuleContext } from "../../../src/policy/plan/select.ts";
import { NO_EXCLUSIONS } from "../../../src/rules/index.ts";

const DAY = 86_400_000;
const asOf = new Date("2026-11-30T00:00:00Z");
const daysAgo = (n: number) => new Date(asOf.getTime() - n * DAY);
const JIRA = "ari:cloud:jira-software::site/s1";
const CONF = "ari:cloud:confluence::site/s1";

function rule(over: Partial<PolicyRule> = {}): PolicyRule {
  return {
    name: "idle-90",
    products: [],
    sites: [],
    idleDays: 90,
    action: "remove-product-access",
    accountTypes: [],
    managed: "any",
    emailDomains: [],
    groups: [],
    force: false,
    ...over,
  };
}

const jiraUsers = {
  groupId: "g-jira",
  groupName: "jira-users",
  groupManagementSource: "admins",
  grants: [{ productKey: "jira-software", resourceId: JIRA, role: "atlassian/user" }],
};
const confUsers = {
  groupId: "g-conf",
  groupName: "confluence-users",
  groupManagementSource: "admins",
  grants: [{ productKey: "confluence", resourceId: CONF, role: "atlassian/user" }],
};

function user(over: Partial<DormantUserRow> = {}): DormantUserRow {
  return {
    accountId: "u1",
    email: "ann@acme.com",
    name: "Ann",
    accountType: "atlassian",
    accountStatus: "active",
    membershipStatus: "active",
    status: "active",
    claimStatus: "managed",
    managementSource: "invited",
    platformRoles: [],
    addedToOrg: daysAgo(400),
    products: [
      { productKey: "jira-software", resourceId: JIRA, lastActiveAt: daysAgo(120) },
      { productKey: "confluence", resourceId: CONF, lastActiveAt: daysAgo(3) },
    ],
    groups: [jiraUsers, confUsers],
    ...over,
  };
}

function ctx(r: PolicyRule, over: Partial<RuleContext> = {}): RuleContext {
  return {
    orgId: "org1",
    rule: r,
    window: ruleWindow(asOf, r, { newUserGraceDays: 30, thresholdsDays: [30, 60, 90, 180] }),
    exclude: NO_EXCLUSIONS,
    directories: ["dir1"],
    groupDirectories: new Map([
      ["g-jira", "dir1"],
      ["g-conf", "dir1"],
      ["g-idp", "dir1"],
    ]),
    directRoles: new Map(),
    price: (key) => (key === "jira-software" ? 7.53 : 5.16),
    label: (key) => key,
    siteOf: () => "acme.atlassian.net",
    ...over,
  };
}

describe("selectForRule", () => {
  it("removes only the dormant seat, through the group that grants it, with the exact call", () => {
    const r = rule();
    const { actions, excluded, idp } = selectForRule([user()], ctx(r));
    expect(excluded).toEqual([]);
    expect(idp).toEqual([]);
    expect(actions).toHaveLength(1);
    const a = actions[0]!;
    expect(a).toMatchObject({
      kind: "remove-product-access",
      productKey: "jira-software",
      resourceId: JIRA,
      seats: 1,
      savingMonthly: 7.53,
    });
    expect(a.calls).toEqual([
      {
        method: "DELETE",
        path: "/admin/v2/orgs/org1/directories/dir1/groups/g-jira/memberships/u1",
      },
    ]);
    expect(a.reason).toMatch(
      /idle 120 days .*rule idle-90 .*billable via jira-users \(atlassian\/user\)/,
    );
    expect(a.detail.lastActive.map((s) => s.productKey)).toEqual(["jira-software", "confluence"]);
  });

  it("revokes a stored direct role, and plans a live read when the crawl did not read the role", () => {
    const direct = user({
      groups: [confUsers],
      products: [
        { productKey: "jira-software", resourceId: JIRA, lastActiveAt: null },
        { productKey: "confluence", resourceId: CONF, lastActiveAt: daysAgo(1) },
      ],
    });
    const r = rule();
    const known = selectForRule(
      [direct],
      ctx(r, { directRoles: new Map([["u1", [{ resourceId: JIRA, role: "atlassian/user" }]]]) }),
    ).actions[0]!;
    expect(known.calls).toEqual([
      {
        method: "POST",
        path: "/admin/v1/orgs/org1/users/u1/roles/revoke",
        body: { role: "atlassian/user", resource: JIRA },
      },
    ]);
    const unknown = selectForRule([direct], ctx(r)).actions[0]!;
    expect(unknown.detail.directRoles).toEqual([{ role: null, resourceId: JIRA }]);
    expect(unknown.calls[0]?.note).toMatch(
      /read from the user's role-assignments right before acting/,
    );
  });

  it("never plans protected users: admins, admin-group members, new users, exclusions", () => {
    const r = rule();
    const cases: [DormantUserRow, Partial<RuleContext>, RegExp][] = [
      [user({ platformRoles: ["atlassian/org-admin"] }), {}, /protected: admin$/],
      [
        user({
          groups: [
            { ...jiraUsers, grants: [{ ...jiraUsers.grants[0]!, role: "atlassian/admin" }] },
            confUsers,
          ],
        }),
        {},
        /protected: admin group/,
      ],
      [user(), { exclude: { ...NO_EXCLUSIONS, domains: ["ACME.com"] } }, /excluded domain/],
      [user(), { exclude: { ...NO_EXCLUSIONS, groups: ["confluence-users"] } }, /excluded group/],
    ];
    for (const [u, over, reason] of cases) {
      const s = selectForRule([u], ctx(r, over));
      expect(s.actions).toEqual([]);
      expect(s.excluded.map((e) => e.reason)).toEqual([expect.stringMatching(reason)]);
    }
    // A new user's idle seats are in the grace period, not dormant: not even a candidate.
    const fresh = selectForRule([user({ addedToOrg: daysAgo(10) })], ctx(r));
    expect(fresh).toEqual({ actions: [], excluded: [], idp: [] });
  });

  it("sends IdP-managed users and seats granted by IdP groups to the change list, not the plan", () => {
    const r = rule();
    const synced = selectForRule([user({ managementSource: "synced" })], ctx(r));
    expect(synced.actions).toEqual([]);
    expect(synced.idp).toMatchObject([
      { idpGroup: "(user managed by the IdP)", accountId: "u1", productKey: "jira-software" },
    ]);
    const idpGroup = {
      groupId: "g-idp",
      groupName: "okta-eng",
      groupManagementSource: "idp",
      grants: [{ productKey: "jira-software", resourceId: JIRA, role: "atlassian/user" }],
    };
    const viaGroup = selectForRule([user({ groups: [jiraUsers, idpGroup, confUsers] })], ctx(r));
    expect(viaGroup.actions).toEqual([]);
    expect(viaGroup.idp).toMatchObject([
      { idpGroup: "okta-eng", groupId: "g-idp", change: "remove from IdP group okta-eng" },
    ]);
    expect(viaGroup.excluded[0]?.reason).toMatch(/granted by IdP group okta-eng/);
  });

  it("suspends only users with nothing in use, and deactivates managed accounts only", () => {
    const suspend = rule({ action: "suspend" });
    const inUse = selectForRule([user()], ctx(suspend));
    expect(inUse.actions).toEqual([]);
    expect(inUse.excluded[0]?.reason).toMatch(
      /active in confluence .*suspend would cut access in use/,
    );

    const idle = user({
      products: [
        { productKey: "jira-software", resourceId: JIRA, lastActiveAt: daysAgo(200) },
        { productKey: "confluence", resourceId: CONF, lastActiveAt: null },
      ],
    });
    const s = selectForRule([idle], ctx(suspend)).actions[0]!;
    expect(s).toMatchObject({ kind: "suspend", resourceId: null, seats: 2, savingMonthly: 12.69 });
    expect(s.calls).toEqual([
      { method: "POST", path: "/admin/v2/orgs/org1/directories/dir1/users/u1/suspend" },
    ]);
    expect(s.detail.daysIdle).toBeNull(); // a never-used seat makes the user "never" idle-dated

    const deactivate = rule({ action: "deactivate" });
    const unmanaged = selectForRule([{ ...idle, claimStatus: "unmanaged" }], ctx(deactivate));
    expect(unmanaged.actions).toEqual([]);
    expect(unmanaged.excluded[0]?.reason).toMatch(/unmanaged account/);
    expect(selectForRule([idle], ctx(deactivate)).actions[0]?.calls[0]?.path).toBe(
      "/users/u1/manage/lifecycle/disable",
    );
  });

  it("narrows by product, site, account filters and the never-active threshold", () => {
    const idle = user({
      products: [
        { productKey: "jira-software", resourceId: JIRA, lastActiveAt: daysAgo(200) },
        { productKey: "confluence", resourceId: CONF, lastActiveAt: null },
      ],
      addedToOrg: daysAgo(45),
    });
    const only = (r: PolicyRule) => selectForRule([idle], ctx(r)).actions.map((a) => a.productKey);
    expect(only(rule({ products: ["confluence"] }))).toEqual(["confluence"]);
    expect(only(rule({ sites: ["https://other.atlassian.net"] }))).toEqual([]);
    expect(only(rule({ sites: ["acme.atlassian.net"] }))).toEqual(["jira-software", "confluence"]);
    expect(only(rule({ managed: "unmanaged" }))).toEqual([]);
    expect(only(rule({ emailDomains: ["other.com"] }))).toEqual([]);
    expect(only(rule({ groups: ["jira-users"] }))).toHaveLength(2);
    // never used, in the org 45 days: matches "after 30 days", not "after 60"
    expect(only(rule({ idleDays: undefined, neverActiveAfterDays: 30 }))).toEqual(["confluence"]);
    expect(only(rule({ idleDays: undefined, neverActiveAfterDays: 60 }))).toEqual([]);
    expect(only(rule({ idleDays: 90, neverActiveAfterDays: 60 }))).toEqual(["jira-software"]);
  });
});

describe("caps and merging", () => {
  const a = (accountId: string, daysIdle: number | null, seats = 1, over = {}) => ({
    ...selectForRule([user({ accountId })], ctx(rule())).actions[0]!,
    seats,
    ...over,
    detail: { ...selectForRule([user({ accountId })], ctx(rule())).actions[0]!.detail, daysIdle },
  });

  it("orders never-used first, then the longest idle", () => {
    const sorted = [a("u1", 100), a("u2", null), a("u3", 300)].sort(byPriority);
    expect(sorted.map((x) => x.accountId)).toEqual(["u2", "u3", "u1"]);
  });

  it("cuts at maxActions and at maxPercent of billable seats, saying which cap cut what", () => {
    const list = [a("u1", 400), a("u2", 300), a("u3", 200), a("u4", 100)];
    const byCount = applyCaps(list, { maxActions: 2, maxPercent: 100, billableSeats: 100 });
    expect(byCount.kept.map((x) => x.accountId)).toEqual(["u1", "u2"]);
    expect(byCount.cut.map((x) => x.accountId)).toEqual(["u3", "u4"]);
    expect(byCount.cut[0]?.reason).toMatch(/over policy\.maxActions \(2 actions per plan\)/);

    const big = [a("u1", 400, 1), a("u2", 300, 3), a("u3", 200, 1)];
    const bySeats = applyCaps(big, { maxActions: 25, maxPercent: 5, billableSeats: 60 });
    expect(bySeats.kept.map((x) => x.accountId)).toEqual(["u1"]);
    expect(bySeats.cut.map((x) => x.accountId)).toEqual(["u2", "u3"]);
    expect(bySeats.cut[0]?.reason).toMatch(/5% of 60 billable seats = 3 seats per plan/);
  });

  it("lets the first rule claim a seat or a user; later claims are left out with the reason", () => {
    const first = [a("u1", 200)];
    const second = [a("u1", 200, 2, { rule: "suspend-180", kind: "suspend", resourceId: null })];
    const merged = mergeRules([first, second]);
    expect(merged.actions).toHaveLength(1);
    expect(merged.excluded[0]).toMatchObject({
      accountId: "u1",
      rule: "suspend-180",
      reason: "already planned by rule idle-90 (remove-product-access)",
    });
  });
});
