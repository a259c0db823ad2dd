/**
 * `reclaim crawl` over several orgs: one with a bad key fails alone, the other is crawled in
 * full, each org's outcome is printed, and the exit code says that something failed.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import { runCli } from "../../helpers/cli.ts";
import { TIME_SCALE } from "../../helpers/crawl.ts";

describe("reclaim crawl with one bad org", () => {
  let sim: RunningSimulator;
  let dir: string;

  beforeAll(async () => {
    sim = await startSimulator({
      orgs: [
        { users: 120, seed: "iso-good" },
        { users: 80, seed: "iso-bad" },
      ],
      timeScale: TIME_SCALE,
    });
    dir = await mkdtemp(path.join(tmpdir(), "reclaim-isolation-"));
  });
  afterAll(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("crawls the good org, reports the bad one as failed, and exits 1", async () => {
    const [good, bad] = sim.orgs;
    const configFile = path.join(dir, "reclaim.config.json");
    await writeFile(
      configFile,
      JSON.stringify({
        orgs: [
          { name: "good", orgId: good!.id, apiKeyEnv: "GOOD_KEY" },
          { name: "bad", orgId: bad!.id, apiKeyEnv: "BAD_KEY" },
        ],
        crawl: { lastActivePerMinute: 200 * TIME_SCALE, crossCheckSample: 2 },
      }),
    );
    const result = await runCli(["crawl"], {
      env: {
        RECLAIM_CONFIG: configFile,
        RECLAIM_DATA_DIR: path.join(dir, "data"),
        ATLASSIAN_API_URL: sim.url,
        GOOD_KEY: good!.apiKey,
        BAD_KEY: "not-the-key-0123456789",
      },
    });
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      new RegExp(`^crawl of .*${good!.id}.* succeeded \\(run 1, auto\\): \\d+ users`),
    );
    expect(lines[1]).toMatch(
      new RegExp(`^crawl of ${bad!.id} FAILED before it started: .*(401|key)`, "i"),
    );
    expect(result.stdout + result.stderr).not.toContain("not-the-key-0123456789");
  });
});
