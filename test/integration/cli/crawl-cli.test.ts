import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import { runCli } from "../../helpers/cli.ts";

describe("reclaim crawl (CLI)", () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ orgs: [{ users: 300, seed: "cli" }], timeScale: 60 });
  });
  afterAll(async () => {
    await sim.close();
  });

  it("discovers the org from the key, crawls it, and prints a summary and one structured log line", async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), "reclaim-cli-")), "data");
    const result = await runCli(["crawl", "--data-dir", dataDir, "--strategy", "bulk"], {
      env: { ATLASSIAN_API_URL: sim.url, ATLASSIAN_API_KEY: sim.apiKey },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      new RegExp(
        `crawl of .*\\(${sim.orgId}\\) succeeded \\(run 1, bulk\\): ${sim.directoryUsers().length} users`,
      ),
    );
    const line = JSON.parse(result.stderr.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(line).toMatchObject({
      message: "crawl finished",
      orgId: sim.orgId,
      status: "succeeded",
      users: sim.directoryUsers().length,
    });
    expect(result.stderr + result.stdout).not.toContain(sim.apiKey);
  });

  it("says what to do with a wrong key, without printing it", async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), "reclaim-cli-")), "data");
    const result = await runCli(["crawl", "--data-dir", dataDir], {
      env: { ATLASSIAN_API_URL: sim.url, ATLASSIAN_API_KEY: "wrong-key-0123456789" },
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/without scopes/i);
    expect(result.stderr).not.toContain("wrong-key-0123456789");
  });

  it("asks for a key when none is configured", async () => {
    const result = await runCli(["crawl", "--data-dir", "/tmp/unused-reclaim"], {
      env: { ATLASSIAN_API_KEY: undefined },
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/ATLASSIAN_API_KEY/);
  });
});
