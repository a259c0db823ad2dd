import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, redactConfig } from "../../../src/config/config.ts";
import { priceFor } from "../../../src/config/sections/report.ts";

const emptyDir = () => mkdtempSync(path.join(tmpdir(), "reclaim-config-"));

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("runs on embedded defaults with no environment at all", () => {
    const config = loadConfig({}, {}, emptyDir());
    expect(config.databaseUrl).toBeUndefined();
    expect(config.dataDir).toBe("./data");
    expect(config.reportsDir).toBe("./reports");
    expect(config.orgs).toEqual([]);
    expect(config.report.thresholdsDays).toEqual([30, 60, 90, 180]);
    expect(config.report.pricesPerSeatMonthly).toEqual({});
    expect(priceFor(config.report, "confluence")).toEqual({
      price: 5.16,
      source: "list price (USD)",
    });
    expect(config.report.timezone).toBe("UTC");
    expect(config.crawl.strategy).toBe("auto");
  });

  it("reads the documented environment variables", () => {
    const config = loadConfig(
      {
        DATABASE_URL: "postgres://u:p@db:5432/reclaim",
        RECLAIM_DATA_DIR: "/var/reclaim",
        ATLASSIAN_API_KEY: "key-123456789",
        ATLASSIAN_ORG_ID: "org-1",
        ATLASSIAN_API_URL: "http://127.0.0.1:4010",
        RECLAIM_REPORTS_DIR: "/out",
        SMTP_URL: "smtp://mail:pw@smtp.example.com:587",
        REPORT_TO: "a@example.com, b@example.com",
        REPORT_FROM: "reclaim@example.com",
      },
      {},
      emptyDir(),
    );
    expect(config.orgs).toEqual([
      { orgId: "org-1", apiKey: "key-123456789", apiUrl: "http://127.0.0.1:4010" },
    ]);
    expect(config.email.to).toEqual(["a@example.com", "b@example.com"]);
    expect(config.email.from).toBe("reclaim@example.com");
    expect(config.reportsDir).toBe("/out");
  });

  it("lists every problem in one error", () => {
    const problems = problemsOf(() =>
      loadConfig(
        { DATABASE_URL: "mysql://x", REPORT_TO: "ok@example.com,not-an-address", SMTP_URL: "nope" },
        { strategy: "fastest" },
        emptyDir(),
      ),
    );
    expect(problems).toHaveLength(4);
    expect(problems.join("\n")).toMatch(/DATABASE_URL/);
    expect(problems.join("\n")).toMatch(/not-an-address/);
    expect(problems.join("\n")).toMatch(/SMTP_URL/);
    expect(problems.join("\n")).toMatch(/--strategy/);
  });

  it("validates the config file and names the bad values", () => {
    const dir = emptyDir();
    writeFileSync(
      path.join(dir, "reclaim.config.json"),
      JSON.stringify({
        report: { thresholdsDays: [90, 30], billing: "weekly" },
        email: { to: ["x"] },
        surprise: true,
      }),
    );
    const problems = problemsOf(() => loadConfig({}, {}, dir)).join("\n");
    expect(problems).toMatch(/report\.thresholdsDays: must be strictly ascending/);
    expect(problems).toMatch(/report\.billing/);
    expect(problems).toMatch(/email\.to\.0: "x" is not an email address/);
    expect(problems).toMatch(/surprise/);
  });

  it("takes several orgs from the file with keys from named variables", () => {
    const dir = emptyDir();
    writeFileSync(
      path.join(dir, "custom.json"),
      JSON.stringify({
        orgs: [
          { name: "acme", apiKeyEnv: "ACME_KEY" },
          { name: "beta", apiKeyEnv: "BETA_KEY" },
        ],
        report: { pricesPerSeatMonthly: { confluence: 10 } },
      }),
    );
    const problems = problemsOf(() =>
      loadConfig({ ACME_KEY: "k1" }, { config: "custom.json" }, dir),
    );
    expect(problems).toEqual([
      "config file: orgs[1]: needs apiKey or apiKeyEnv naming a set environment variable (BETA_KEY is not set)",
    ]);
    const config = loadConfig({ ACME_KEY: "k1", BETA_KEY: "k2" }, { config: "custom.json" }, dir);
    expect(config.orgs.map((o) => [o.name, o.apiKey])).toEqual([
      ["acme", "k1"],
      ["beta", "k2"],
    ]);
    expect(priceFor(config.report, "confluence")).toEqual({ price: 10, source: "config" });
    expect(priceFor(config.report, "jira-software").source).toBe("list price (USD)");
  });

  it("uses USD list prices only in USD, and refuses price keys that name no product", () => {
    const dir = emptyDir();
    writeFileSync(
      path.join(dir, "eur.json"),
      JSON.stringify({ report: { currency: "EUR", pricesPerSeatMonthly: { confluence: 4.8 } } }),
    );
    const config = loadConfig({}, { config: "eur.json" }, dir);
    expect(priceFor(config.report, "confluence")).toEqual({ price: 4.8, source: "config" });
    expect(priceFor(config.report, "jira-software")).toEqual({ price: 0, source: "none" });
    writeFileSync(
      path.join(dir, "typo.json"),
      JSON.stringify({
        report: { pricesPerSeatMonthly: { "jira-sofware": 7 }, timezone: "Mars/Base" },
      }),
    );
    const problems = problemsOf(() => loadConfig({}, { config: "typo.json" }, dir));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(
      /report\.pricesPerSeatMonthly\.jira-sofware: "jira-sofware" is not a product key/,
    );
    expect(problems[1]).toMatch(/report\.timezone: must be an IANA time zone/);
  });

  it("reports a missing or broken config file", () => {
    const dir = emptyDir();
    expect(problemsOf(() => loadConfig({}, { config: "missing.json" }, dir))[0]).toMatch(
      /does not exist/,
    );
    writeFileSync(path.join(dir, "reclaim.config.json"), "{ nope");
    expect(problemsOf(() => loadConfig({}, {}, dir))[0]).toMatch(/not valid JSON/);
  });

  it("never prints secrets", () => {
    const config = loadConfig(
      {
        DATABASE_URL: "postgres://admin:hunter2secret@db:5432/reclaim",
        ATLASSIAN_API_KEY: "ATCTT3xFfGN0-very-secret-key-9f8e",
        SMTP_URL: "smtp://mailer:smtp-pass-42@smtp.example.com:587",
      },
      {},
      emptyDir(),
    );
    const printed = JSON.stringify(redactConfig(config));
    expect(printed).not.toContain("hunter2secret");
    expect(printed).not.toContain("very-secret-key");
    expect(printed).not.toContain("smtp-pass-42");
    expect(printed).toContain("db:5432");
  });
});
