/**
 * A new admin's first mistakes, through the real CLI: each is found before any database or
 * API work, exits 2 and names what to fix, and nothing is created on disk first.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../../src/simulator/index.ts";
import { runCli } from "../../helpers/cli.ts";

const fresh = () => mkdtempSync(path.join(tmpdir(), "reclaim-setup-"));

describe("setup problems at the CLI", () => {
  it("asks for an API key before opening any database", async () => {
    const cwd = fresh();
    const r = await runCli(["crawl"], { cwd, env: { ATLASSIAN_API_KEY: "" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /set ATLASSIAN_API_KEY to an organization API key created without scopes/,
    );
    expect(r.stderr).toContain("`npx reclaim demo`");
    expect(existsSync(path.join(cwd, "data"))).toBe(false);
  });

  it("names RECLAIM_REPORTS_DIR when the reports folder is a file, and creates nothing", async () => {
    const cwd = fresh();
    writeFileSync(path.join(cwd, "reports"), "not a folder");
    const r = await runCli(["report"], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `RECLAIM_REPORTS_DIR (or --reports-dir) ${path.join(cwd, "reports")} is a file, not a folder`,
    );
    expect(existsSync(path.join(cwd, "data"))).toBe(false);
    const nested = await runCli(["report", "--reports-dir", path.join(cwd, "reports", "weekly")], {
      cwd,
    });
    expect(nested.code).toBe(2);
    expect(nested.stderr).toMatch(/cannot be created: .*reports is a file, not a folder/);
  });

  it("refuses a price for a product key that does not exist", async () => {
    const cwd = fresh();
    writeFileSync(
      path.join(cwd, "reclaim.config.json"),
      JSON.stringify({ report: { pricesPerSeatMonthly: { confluance: 5 } } }),
    );
    const r = await runCli(["report"], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /report\.pricesPerSeatMonthly\.confluance: "confluance" is not a product key Reclaim knows/,
    );
    expect(existsSync(path.join(cwd, "data"))).toBe(false);
  });

  it("reads .env from the working folder, under the real environment", async () => {
    const cwd = fresh();
    writeFileSync(
      path.join(cwd, ".env"),
      "ATLASSIAN_API_KEY=from-dotenv-0123456789\nRECLAIM_DATA_DIR=./from-dotenv\n",
    );
    const r = await runCli(["config"], { cwd, env: { RECLAIM_DATA_DIR: "./from-env" } });
    expect(r.code).toBe(0);
    const config = JSON.parse(r.stdout) as { dataDir: string; orgs: { apiKey: string }[] };
    expect(config.dataDir).toBe("./from-env");
    expect(config.orgs).toHaveLength(1);
    expect(r.stdout).not.toContain("from-dotenv-0123456789");
  });

  it("prints its version, and help that lists the environment", async () => {
    const version = await runCli(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    for (const name of [
      "ATLASSIAN_API_KEY",
      "DATABASE_URL",
      "RECLAIM_REPORTS_DIR",
      "SMTP_URL",
      "REPORT_TO",
    ])
      expect(help.stdout).toContain(name);
    expect(help.stdout).toContain("`npx reclaim demo`");
  });

  it("says what is missing when there is nothing to report, and which run does not exist", async () => {
    const cwd = fresh();
    const none = await runCli(["report"], { cwd });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("run `npx reclaim crawl` first");
    const run = await runCli(["report", "--run", "99"], { cwd });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("there is no crawl run 99");
    const org = await runCli(["report", "--org", "nope"], { cwd });
    expect(org.code).toBe(1);
    expect(org.stderr).toContain("org nope is not in the database");
    const abandon = await runCli(["crawl", "--abandon"], { cwd });
    expect(abandon.code).toBe(0);
    expect(abandon.stdout).toContain("no unfinished crawl run to give up");
  });

  it("names ATLASSIAN_ORG_ID for an org the key does not see, ATLASSIAN_API_URL for a server that is not the Admin API", async () => {
    const sim = await startSimulator({ orgs: [{ users: 5, seed: "setup-errors" }] });
    try {
      const env = { ATLASSIAN_API_KEY: sim.apiKey, ATLASSIAN_API_URL: sim.url };
      const wrongOrg = await runCli(["crawl"], {
        cwd: fresh(),
        env: { ...env, ATLASSIAN_ORG_ID: "no-such-org" },
      });
      expect(wrongOrg.code).toBe(1);
      expect(wrongOrg.stdout).toContain(
        "crawl of no-such-org FAILED before it started: GET /admin/v1/orgs/no-such-org failed with HTTP 404",
      );
      expect(wrongOrg.stdout).toContain("check ATLASSIAN_ORG_ID");
      const wrongUrl = await runCli(["crawl"], {
        cwd: fresh(),
        env: { ...env, ATLASSIAN_API_URL: `${sim.url}/not-the-api` },
      });
      expect(wrongUrl.code).toBe(1);
      expect(wrongUrl.stdout).toMatch(
        /GET \/admin\/v1\/orgs failed with HTTP 404.* is ATLASSIAN_API_URL the Atlassian API/,
      );
      const badKey = await runCli(["crawl"], {
        cwd: fresh(),
        env: { ...env, ATLASSIAN_API_KEY: "not-the-key-0123456789" },
      });
      expect(badKey.code).toBe(1);
      expect(badKey.stdout).toContain("give it as ATLASSIAN_API_KEY");
      expect(badKey.stdout + badKey.stderr).not.toContain("not-the-key-0123456789");
    } finally {
      await sim.close();
    }
  });
});
