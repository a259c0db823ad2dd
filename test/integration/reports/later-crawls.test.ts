/**
 * A report shows one succeeded crawl's own state: a later crawl that ends incomplete (some
 * users' reads keep failing) touches the current tables, but `reclaim report` still builds,
 * field for field, the report of the succeeded crawl.
 */
import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";
import { buildReports } from "../../../src/reports/build-report.ts";
import { fixedClock } from "../../../src/shared/clock.ts";
import { startSimulator } from "../../../src/simulator/index.ts";
import { crawlSimulator, TIME_SCALE } from "../../helpers/crawl.ts";
import { describeEachBackend } from "../../helpers/database.ts";
import { reportRuntime } from "../../helpers/report-fixture.ts";

describeEachBackend("report after a later incomplete crawl", (backend) => {
  it("equals the report of the last succeeded crawl", async () => {
    const sim = await startSimulator({
      orgs: [{ users: 400, seed: "later" }],
      timeScale: TIME_SCALE,
    });
    const database = await backend.open();
    try {
      const first = await crawlSimulator(database.db, sim, "bulk");
      expect(first.status).toBe("succeeded");
      const runtime = await reportRuntime(database, fixedClock(new Date(Date.now() + 60_000)));
      const [before] = await buildReports(runtime);

      // 40 users whose never-used seats are in the report: their reads now always fail.
      const csv = await readFile(before!.csvPath, "utf8");
      const failing = sim.orgs[0]!.users.filter((u) => csv.includes(u.accountId))
        .slice(0, 40)
        .map((u) => u.accountId);
      expect(failing).toHaveLength(40);
      sim.setFaults({ alwaysFailAccountIds: failing });
      const second = await crawlSimulator(database.db, sim, "per-user", { maxAttempts: 1 });
      expect(second.status).toBe("incomplete");
      expect(second.usersFailed).toBeGreaterThanOrEqual(40);

      const [after] = await buildReports(runtime);
      expect(after!.summary.crawlRunId).toBe(first.runId);
      expect({ ...after!.summary, generatedAt: "" }).toEqual({
        ...before!.summary,
        generatedAt: "",
      });
      expect(await readFile(after!.csvPath, "utf8")).toBe(csv);
    } finally {
      await database.close();
      await sim.close();
    }
  }, 120_000);
});
