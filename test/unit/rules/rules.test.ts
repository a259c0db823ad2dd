import { describe, expect, it } from "vitest";
import {
  activityWindow,
  classifyUser,
  daysIdle,
  describeBuckets,
  idleBucket,
  isBillableAccount,
  protectionOf,
  seatState,
  suggestedAction,
  type ActionInput,
  type UserFacts,
} from "../../../src/rules/index.ts";
import { reclaimableMonthly } from "../../../src/reports/model.ts";
import { csvField, csvLine } from "../../../src/reports/csv.ts";

const DAY = 86_400_000;
const T = [30, 60, 90, 180];
const asOf = new Date("2026-11-28T12:00:00Z");
const ago = (days: number, ms = 0) => new Date(asOf.getTime() - days * DAY + ms);
const rules = { dormantAfterDays: 90, newUserGraceDays: 30, thresholdsDays: T };
const w = activityWindow(asOf, rules);

describe("seat states at the boundaries", () => {
  it("a seat idle exactly N days is not active within N days, and dormant at N", () => {
    expect(daysIdle(ago(90), asOf)).toBe(90);
    expect(seatState({ lastActiveAt: ago(90) }, { addedToOrg: null }, w)).toBe("dormant");
    expect(seatState({ lastActiveAt: ago(90, 1) }, { addedToOrg: null }, w)).toBe("active");
    expect(daysIdle(ago(90, 1), asOf)).toBe(89);
    expect(seatState({ lastActiveAt: null }, { addedToOrg: null }, w)).toBe("dormant");
  });
  it("idle seats of users who joined within the grace period are in grace, active ones stay active", () => {
    expect(seatState({ lastActiveAt: null }, { addedToOrg: ago(29) }, w)).toBe("grace");
    expect(seatState({ lastActiveAt: null }, { addedToOrg: ago(30) }, w)).toBe("dormant");
    expect(seatState({ lastActiveAt: ago(1) }, { addedToOrg: ago(2) }, w)).toBe("active");
  });
  it("a threshold that is not in thresholdsDays still has a window", () => {
    const w120 = activityWindow(asOf, { ...rules, dormantAfterDays: 120 });
    expect(w120.windows.map((x) => x.days)).toEqual([30, 60, 90, 120, 180]);
    expect(seatState({ lastActiveAt: ago(100) }, { addedToOrg: null }, w120)).toBe("active");
    expect(seatState({ lastActiveAt: ago(120) }, { addedToOrg: null }, w120)).toBe("dormant");
  });
});

describe("idle buckets", () => {
  it("are half-open like the windows: idle exactly 90 days is in the 90 bucket", () => {
    expect(idleBucket(59, T)).toEqual({ label: "< 60 days", colour: "green" });
    expect(idleBucket(60, T)).toEqual({ label: "60–89 days", colour: "yellow" });
    expect(idleBucket(89, T).colour).toBe("yellow");
    expect(idleBucket(90, T)).toEqual({ label: "90–179 days", colour: "orange" });
    expect(idleBucket(180, T)).toEqual({ label: "180+ days", colour: "red" });
    expect(idleBucket(null, T)).toEqual({ label: "never used", colour: "red" });
    expect(describeBuckets(T)).toBe(
      "green < 60 days; yellow 60–89 days; orange 90–179 days; red 180+ days; red never used",
    );
  });
});

describe("billable accounts", () => {
  const person = {
    accountType: "atlassian",
    accountStatus: "active",
    membershipStatus: "active",
    status: "active",
    removed: false,
  };
  it("counts active people only; missing fields are not evidence of a bot", () => {
    expect(isBillableAccount(person)).toBe(true);
    expect(isBillableAccount({ ...person, accountType: null })).toBe(true);
    expect(isBillableAccount({ ...person, accountType: "app" })).toBe(false);
    expect(isBillableAccount({ ...person, membershipStatus: "suspended" })).toBe(false);
    expect(isBillableAccount({ ...person, membershipStatus: null })).toBe(true);
    expect(isBillableAccount({ ...person, membershipStatus: null, status: "suspended" })).toBe(
      false,
    );
    expect(isBillableAccount({ ...person, accountStatus: "inactive" })).toBe(false);
    expect(isBillableAccount({ ...person, removed: true })).toBe(false);
  });
});

describe("protection and suggested actions", () => {
  const base: ActionInput = {
    protection: null,
    idpManaged: false,
    dormantSeats: 1,
    activeSeats: 0,
  };
  it("orders the rules", () => {
    expect(suggestedAction(base)).toBe("suspend");
    expect(suggestedAction({ ...base, activeSeats: 1 })).toBe("remove product access");
    expect(suggestedAction({ ...base, idpManaged: true })).toBe("change in the IdP");
    expect(suggestedAction({ ...base, protection: "new user in grace period" })).toBe(
      "leave: new user in grace period",
    );
    expect(suggestedAction({ ...base, protection: "bot or app account" })).toBe("leave: bot");
    expect(suggestedAction({ ...base, protection: "admin group" })).toBe("leave: admin");
    expect(suggestedAction({ ...base, protection: "excluded domain" })).toBe("leave: excluded");
  });
  it("protects admins, admin groups, bots, new users and every exclusion list", () => {
    const u = {
      accountId: "a1",
      email: "Pat@Example.com",
      accountType: "atlassian",
      platformRoles: [] as string[],
      addedToOrg: ago(400),
      groups: [{ groupId: "g1", name: "Contractors", roles: ["atlassian/user"] }],
    };
    expect(protectionOf(u, w)).toBeNull();
    expect(protectionOf({ ...u, platformRoles: ["atlassian/site-admin"] }, w)).toBe("admin");
    expect(
      protectionOf({ ...u, groups: [{ groupId: "g2", name: "x", roles: ["atlassian/admin"] }] }, w),
    ).toBe("admin group");
    expect(protectionOf({ ...u, accountType: "app" }, w)).toBe("bot or app account");
    expect(protectionOf({ ...u, addedToOrg: ago(3) }, w)).toBe("new user in grace period");
    const none = { accounts: [], emails: [], domains: [], groups: [] };
    expect(protectionOf(u, w, { ...none, accounts: ["A1"] })).toBe("excluded account");
    expect(protectionOf(u, w, { ...none, emails: ["pat@example.com"] })).toBe("excluded email");
    expect(protectionOf(u, w, { ...none, domains: ["EXAMPLE.com"] })).toBe("excluded domain");
    expect(protectionOf(u, w, { ...none, groups: ["contractors"] })).toBe("excluded group");
  });
});

describe("one user's seats", () => {
  const user: UserFacts = {
    accountId: "a1",
    email: "a@example.com",
    accountType: "atlassian",
    platformRoles: [],
    addedToOrg: ago(400),
    managementSource: null,
    products: [
      { productKey: "jira-software", resourceId: "r1", lastActiveAt: ago(5) },
      { productKey: "confluence", resourceId: "r2", lastActiveAt: null },
    ],
    groups: [
      {
        groupId: "g1",
        groupName: "confluence-users",
        groupManagementSource: null,
        grants: [{ productKey: "confluence", resourceId: "r2", role: "atlassian/user" }],
      },
    ],
  };
  it("is not never-active when active in another product, and keeps only the unused access", () => {
    const c = classifyUser(user, w);
    expect(c.neverActive).toBe(false);
    expect(c.dormant.map((s) => s.productKey)).toEqual(["confluence"]);
    expect(c.dormant[0]!.grantedBy.map((g) => g.groupName)).toEqual(["confluence-users"]);
    expect(c.daysIdle).toBeNull();
    expect(c.action).toBe("remove product access");
  });
  it("flags an IdP group that grants a dormant seat", () => {
    const c = classifyUser(
      { ...user, groups: [{ ...user.groups[0]!, groupManagementSource: "idp" }] },
      w,
    );
    expect(c.idpManaged).toBe(true);
    expect(c.action).toBe("change in the IdP");
  });
});

describe("savings and CSV", () => {
  it("rounds reclaimable cost to cents", () => {
    expect(reclaimableMonthly(3, 7.53)).toBe(22.59);
  });
  it("escapes per RFC 4180 and neutralises formulas", () => {
    expect(csvField('a "b", c')).toBe('"a ""b"", c"');
    expect(csvField("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvField("-1+2")).toBe("'-1+2");
    expect(csvField(-3)).toBe("-3");
    expect(csvField(null)).toBe("");
    expect(csvLine(["x", 1])).toBe("x,1\r\n");
  });
});
