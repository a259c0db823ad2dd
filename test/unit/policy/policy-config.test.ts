import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config/config.ts";

function withFile(policy: unknown) {
  const dir = mkdtempSync(path.join(tmpdir(), "reclaim-policy-config-"));
  const file = path.join(dir, "reclaim.config.json");
  writeFileSync(file, JSON.stringify({ policy }));
  return () => loadConfig({}, { config: file }, dir);
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("policy config", () => {
  it("is off and safe by default: no rules, capped, warned, fresh data only, no auto", () => {
    const { policy } = loadConfig({}, {}, mkdtempSync(path.join(tmpdir(), "reclaim-")));
    expect(policy).toMatchObject({
      rules: [],
      maxActions: 25,
      maxPercent: 5,
      warnDays: 7,
      maxDataAgeHours: 48,
      auto: false,
      allowDeactivate: false,
      exclude: { accounts: [], emails: [], domains: [], groups: [] },
    });
  });

  it("reads the documented shape, defaulting the action to remove-product-access", () => {
    const { policy } = withFile({
      rules: [{ name: "idle-90", products: ["jira-software"], idleDays: 90 }],
      maxActions: 10,
      exclude: { emails: ["ceo@example.com"] },
    })();
    expect(policy.rules[0]).toMatchObject({
      name: "idle-90",
      products: ["jira-software"],
      idleDays: 90,
      action: "remove-product-access",
      managed: "any",
      force: false,
    });
    expect(policy.maxActions).toBe(10);
    expect(policy.exclude.emails).toEqual(["ceo@example.com"]);
  });

  it("refuses a threshold under 14 days unless the rule is forced", () => {
    const problems = problemsOf(withFile({ rules: [{ name: "fast", idleDays: 7 }] }));
    expect(problems.join("\n")).toMatch(
      /policy\.rules\.0\.idleDays: 7 days is under the 14-day sanity floor; set "force": true/,
    );
    expect(
      withFile({ rules: [{ name: "fast", idleDays: 7, force: true }] })().policy.rules[0]?.idleDays,
    ).toBe(7);
  });

  it("refuses deactivate unless explicitly allowed", () => {
    const problems = problemsOf(
      withFile({ rules: [{ name: "d", idleDays: 180, action: "deactivate" }] }),
    );
    expect(problems.join("\n")).toMatch(
      /policy\.rules\.0\.action: deactivate is off: set "policy\.allowDeactivate": true/,
    );
    const ok = withFile({
      allowDeactivate: true,
      rules: [{ name: "d", idleDays: 180, action: "deactivate" }],
    })();
    expect(ok.policy.rules[0]?.action).toBe("deactivate");
  });

  it("lists every problem at once: unknown product, no threshold, duplicate names, delete is no action", () => {
    const problems = problemsOf(
      withFile({
        rules: [
          { name: "a", products: ["jira-softwar"], idleDays: 90 },
          { name: "a", products: [] },
          { name: "c", idleDays: 90, action: "delete" },
        ],
      }),
    );
    const text = problems.join("\n");
    expect(text).toMatch(/rules\.0\.products\.0: "jira-softwar" is not a product key/);
    expect(text).toMatch(/rules\.1\.idleDays: a rule needs idleDays and\/or neverActiveAfterDays/);
    expect(text).toMatch(/rules\.2\.action/);
  });
});
