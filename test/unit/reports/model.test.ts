import { describe, expect, it } from "vitest";
import { csvField, csvLine } from "../../../src/reports/csv.ts";
import {
  daysIdle,
  idleBucket,
  reclaimableMonthly,
  suggestedAction,
  type ActionInput,
} from "../../../src/reports/model.ts";

const T = [30, 60, 90, 180];

describe("idle buckets", () => {
  it("colours at the boundaries", () => {
    expect(idleBucket(0, T).colour).toBe("green");
    expect(idleBucket(59, T).colour).toBe("green");
    expect(idleBucket(60, T).colour).toBe("yellow");
    expect(idleBucket(90, T).colour).toBe("yellow");
    expect(idleBucket(91, T).colour).toBe("orange");
    expect(idleBucket(180, T).colour).toBe("orange");
    expect(idleBucket(181, T).colour).toBe("red");
    expect(idleBucket(null, T).colour).toBe("red");
  });
  it("counts whole UTC days", () => {
    const asOf = new Date("2026-11-28T12:00:00Z");
    expect(daysIdle(new Date("2026-11-27T12:00:01Z"), asOf)).toBe(0);
    expect(daysIdle(new Date("2026-08-30T12:00:00Z"), asOf)).toBe(90);
    expect(daysIdle(null, asOf)).toBeNull();
  });
});

describe("suggested actions", () => {
  const base: ActionInput = {
    accountType: "atlassian",
    platformRoles: [],
    inGracePeriod: false,
    managementSource: null,
    seatViaIdpGroup: false,
    dormantProducts: 1,
    activeProducts: 0,
  };
  it("orders the rules", () => {
    expect(suggestedAction(base)).toBe("suspend");
    expect(suggestedAction({ ...base, activeProducts: 1 })).toBe("remove product access");
    expect(suggestedAction({ ...base, managementSource: "synced" })).toBe("change in the IdP");
    expect(suggestedAction({ ...base, seatViaIdpGroup: true })).toBe("change in the IdP");
    expect(suggestedAction({ ...base, inGracePeriod: true })).toBe(
      "leave: new user in grace period",
    );
    expect(suggestedAction({ ...base, accountType: "app" })).toBe("leave: bot");
    expect(suggestedAction({ ...base, platformRoles: ["atlassian/org-admin"] })).toBe(
      "leave: admin",
    );
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
