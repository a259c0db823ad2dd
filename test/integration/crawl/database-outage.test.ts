/**
 * The database going away mid-crawl (a restart, as the client sees it): a short outage is
 * ridden out — the crawl waits, reloads its checkpoint and ends with the org's data; a long
 * one stops the crawl with one line naming the database, never a password or a stack, and
 * the next crawl resumes the same run. Needs a Postgres server (PGlite has no connection to
 * lose), so it runs only when RECLAIM_TEST_DATABASE_URL is set, as in CI.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type ReclaimDatabase } from "../../../src/db/connect.ts";
import { migrateToLatest } from "../../../src/db/migrate.ts";
import { startSimulator, type RunningSimulator } from "../../../src/simulator/index.ts";
import {
  crawlSimulator,
  expectDatabaseMatchesOrg,
  recordingLogger,
  TIME_SCALE,
} from "../../helpers/crawl.ts";
import {
  TEST_DATABASE_URL,
  testBackends,
  type SharedTestDatabase,
} from "../../helpers/database.ts";
import { startTcpProxy, type TcpProxy } from "../../helpers/proxies.ts";

const postgres = testBackends().find((b) => b.name === "postgres");

describe.skipIf(postgres === undefined)(
  "crawl through a database outage [postgres] (skipped without RECLAIM_TEST_DATABASE_URL)",
  () => {
    let sim: RunningSimulator;
    let shared: SharedTestDatabase;
    let proxy: TcpProxy;
    let database: ReclaimDatabase;

    beforeAll(async () => {
      sim = await startSimulator({
        orgs: [{ users: 600, seed: "outage" }],
        timeScale: TIME_SCALE,
        faults: { latencyMs: 25 },
      });
      shared = await postgres!.shared();
      const direct = new URL(shared.env.DATABASE_URL!);
      proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432));
      const viaProxy = new URL(direct);
      viaProxy.port = String(proxy.port);
      database = await openDatabase({ databaseUrl: viaProxy.toString(), dataDir: "unused" });
      await migrateToLatest(database.db);
    });
    afterAll(async () => {
      await database?.close();
      await proxy?.close();
      await shared?.drop();
      await sim?.close();
    });

    it("rides out a short outage and ends with the org's data", async () => {
      const log = recordingLogger();
      const crawl = crawlSimulator(database.db, sim, "per-user", {
        log,
        crawl: { databaseRetryMs: 30_000 },
      });
      // Cut once the crawl is surely under way, for a second and a half.
      while ((sim.stats.byRoute["lastActive.get"] ?? 0) < 50) await pause(20);
      proxy.cut();
      await pause(1500);
      proxy.restore();
      const result = await crawl;
      expect(result.status).toBe("succeeded");
      expect(log.lines.some((l) => /warn: the test database is unreachable/.test(l))).toBe(true);
      await expectDatabaseMatchesOrg(database.db, sim.orgs[0]!);
    }, 120_000);

    it("stops with one clear line when the database stays away, and resumes next time", async () => {
      sim.resetStats();
      const crawl = crawlSimulator(database.db, sim, "per-user", {
        crawl: { databaseRetryMs: 2_000, restart: true },
      });
      while ((sim.stats.byRoute["lastActive.get"] ?? 0) < 50) await pause(20);
      proxy.cut();
      const stopped = await crawl;
      expect(stopped.status).toBe("failed");
      expect(stopped.error).toMatch(
        /^lost the connection to the test database( \(\w+\))? and could not get it back for 2 s; crawl run \d+ stopped at its checkpoint and resumes the next time it runs$/,
      );
      expect(stopped.error).not.toContain(TEST_DATABASE_URL ?? "postgres://");
      proxy.restore();
      const resumed = await crawlSimulator(database.db, sim, "per-user");
      expect(resumed.runId).toBe(stopped.runId);
      expect(resumed.resumed).toBe(true);
      expect(resumed.status).toBe("succeeded");
      await expectDatabaseMatchesOrg(database.db, sim.orgs[0]!);
    }, 120_000);
  },
);

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
