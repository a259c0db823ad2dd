import { afterAll, beforeAll, expect, it } from "vitest";
import type { Runtime } from "../../../src/app/runtime.ts";
import { loadConfig } from "../../../src/config/config.ts";
import { crawlConfiguredOrgs } from "../../../src/crawl/crawl-all.ts";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import { systemClock } from "../../../src/shared/clock.ts";
import { silentLogger } from "../../../src/shared/log.ts";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import { expectDatabaseMatchesOrg, TIME_SCALE } from "../../helpers/crawl.ts";
import { describeEachBackend } from "../../helpers/database.ts";

describeEachBackend("crawl of several orgs", (backend) => {
  let sim: RunningSimulator;
  let database: ReclaimDatabase;

  beforeAll(async () => {
    sim = await startSimulator({
      orgs: [
        { users: 400, seed: "org-a" },
        { users: 300, seed: "org-b" },
      ],
      timeScale: TIME_SCALE,
    });
    database = await backend.open();
  });
  afterAll(async () => {
    await database.close();
    await sim.close();
  });

  it("crawls every configured org concurrently, each with its own key, into one database", async () => {
    const [a, b] = sim.orgs;
    const config = loadConfig({ ATLASSIAN_API_KEY: "placeholder" }, {}, "/nonexistent");
    config.orgs = [
      { name: "a", apiKey: a!.apiKey, apiUrl: sim.url },
      { name: "b", orgId: b!.id, apiKey: b!.apiKey, apiUrl: sim.url },
    ];
    config.crawl = { ...config.crawl, lastActivePerMinute: 200 * TIME_SCALE };
    const runtime: Runtime = {
      config,
      database,
      clock: systemClock,
      log: silentLogger,
      close: () => Promise.resolve(),
    };
    const results = await crawlConfiguredOrgs(runtime, {
      client: { defaultPerMinute: 1000 * TIME_SCALE },
    });
    expect(results.map((r) => [r.orgId, r.status])).toEqual([
      [a!.id, "succeeded"],
      [b!.id, "succeeded"],
    ]);
    await expectDatabaseMatchesOrg(database.db, a!);
    await expectDatabaseMatchesOrg(database.db, b!);
  });
});
