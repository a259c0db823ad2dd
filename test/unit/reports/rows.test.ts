import { describe, expect, it } from "vitest";
import type { DormantUserRow } from "../../../src/db/repositories/reports.repository.ts";
import { buildDormantRow } from "../../../src/reports/rows.ts";
import { activityWindow } from "../../../src/rules/index.ts";

const asOf = new Date("2026-11-28T12:00:00Z");
const window = {
  ...activityWindow(asOf, {
    dormantAfterDays: 90,
    newUserGraceDays: 30,
    thresholdsDays: [30, 60, 90, 180],
  }),
  orgId: "o",
  runId: 1,
};
const user: DormantUserRow = {
  accountId: "a1",
  email: "pat@contractor.example",
  name: "Pat",
  accountType: "atlassian",
  accountStatus: "active",
  membershipStatus: "active",
  status: "active",
  claimStatus: "managed",
  managementSource: null,
  platformRoles: [],
  addedToOrg: new Date("2024-01-01T00:00:00Z"),
  products: [{ productKey: "confluence", resourceId: "r1", lastActiveAt: null }],
  groups: [],
};
const columns = [{ productKey: "confluence", resourceId: "r1", header: "Confluence" }];

describe("Dormant accounts rows", () => {
  it("leave alone what the policy's exclusion lists protect, as the plan does", () => {
    const ctx = { window, thresholdsDays: [30, 60, 90, 180], columns };
    expect(buildDormantRow(user, ctx).action).toBe("suspend");
    const exclude = { accounts: [], emails: [], domains: ["contractor.example"], groups: [] };
    expect(buildDormantRow(user, { ...ctx, exclude }).action).toBe("leave: excluded");
  });
});
