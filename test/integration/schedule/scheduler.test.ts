import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import { rememberSchedule } from "../../../src/schedule/ledger.repository.ts";
import type { SlotOutcome } from "../../../src/schedule/scheduler.ts";
import { scheduleJobNames } from "../../../src/config/sections/schedule.ts";
import type { RunningSimulator } from "../../../src/simulator/index.ts";
import { describeEachBackend, type TestBackend } from "../../helpers/database.ts";
import { BERLIN, emptyDatabase, gatedJobs, scheduleFixture, simulatorAt } from "./fixture.ts";

/** Tuesday 31 March 2026, 10:00 in Berlin: the Monday report slot (07:00) was yesterday. */
const TUESDAY = new Date("2026-03-31T08:00:00Z");
const MONDAY_REPORT_SLOT = new Date("2026-03-30T05:00:00Z");
const TUESDAY_CRAWL_SLOT = new Date("2026-03-31T03:00:00Z");
const USERS_A = 230;
const USERS_B = 140;
const pages = (users: number) => Math.ceil(users / 100);

async function ledger(database: ReclaimDatabase) {
  return database.db
    .selectFrom("schedule_runs")
    .select(["job", "org", "slot", "status", "attempts", "summary", "error"])
    .orderBy("job")
    .orderBy("slot")
    .orderBy("org")
    .execute();
}

/** A second handle on the same database: its own pool on Postgres; PGlite is one process. */
async function secondConnection(backend: TestBackend, database: ReclaimDatabase) {
  if (backend.name === "pglite") return { database, close: () => Promise.resolve() };
  const url = new URL(process.env.RECLAIM_TEST_DATABASE_URL!);
  url.pathname = `/${await currentDatabase(database)}`;
  const { openDatabase } = await import("../../../src/db/connect.ts");
  const other = await openDatabase({ databaseUrl: url.toString(), dataDir: "unused" });
  return { database: other, close: () => other.close() };
}

async function currentDatabase(database: ReclaimDatabase): Promise<string> {
  const { sql } = await import("kysely");
  const { rows } = await sql<{ name: string }>`select current_database() as name`.execute(
    database.db,
  );
  return rows[0]!.name;
}

describeEachBackend("scheduler", (backend) => {
  let sim: RunningSimulator;
  let database: ReclaimDatabase;

  beforeAll(async () => {
    sim = await simulatorAt(TUESDAY, [
      { users: USERS_A, seed: "sched-a" },
      { users: USERS_B, seed: "sched-b" },
    ]);
    database = await backend.open();
  });
  afterAll(async () => {
    await database.close();
    await sim.close();
  });
  beforeEach(async () => {
    await emptyDatabase(database);
    sim.resetStats();
  });

  const twoOrgs = () => [
    { name: "a", orgId: sim.orgs[0]!.id, apiKey: sim.orgs[0]!.apiKey, apiUrl: sim.url },
    { name: "b", orgId: sim.orgs[1]!.id, apiKey: sim.orgs[1]!.apiKey, apiUrl: sim.url },
  ];

  it("two schedulers on one database run each (job, org, slot) exactly once", async () => {
    const fixture = await scheduleFixture(database, twoOrgs(), { now: TUESDAY });
    const other = await secondConnection(backend, database);
    try {
      const replicaB = await scheduleFixture(other.database, twoOrgs(), { now: TUESDAY });
      const a = fixture.scheduler();
      const b = replicaB.scheduler();
      const slots = [new Date("2026-03-30T03:00:00Z"), TUESDAY_CRAWL_SLOT];
      const outcomes: SlotOutcome[] = [];
      for (const slot of slots) {
        const [fromA, fromB] = await Promise.all([
          a.runSlot("crawl", slot, "tick"),
          b.runSlot("crawl", slot, "tick"),
        ]);
        outcomes.push(...fromA, ...fromB);
      }
      const ran = outcomes.filter((o) => o.status === "succeeded");
      expect(ran.map((o) => `${o.org} ${o.slot.toISOString()}`).sort()).toEqual(
        slots
          .flatMap((s) => [sim.orgs[0]!.id, sim.orgs[1]!.id].map((o) => `${o} ${s.toISOString()}`))
          .sort(),
      );
      expect(outcomes.filter((o) => o.status === "not-claimed")).toHaveLength(4);

      const rows = await ledger(database);
      expect(rows).toHaveLength(4);
      expect(rows.every((r) => r.status === "succeeded" && r.attempts === 1)).toBe(true);
      // The simulator saw exactly one crawl per org and slot.
      expect(sim.stats.byRoute["orgs.get"]).toBe(4);
      expect(sim.stats.byRoute["users.search"]).toBe(2 * (pages(USERS_A) + pages(USERS_B)));
      const runs = await database.db.selectFrom("crawl_runs").select("status").execute();
      expect(runs.map((r) => r.status)).toEqual(Array(4).fill("succeeded"));
    } finally {
      await other.close();
    }
  });

  it("records the next slot as skipped, with why, while the previous run is still going", async () => {
    const fixture = await scheduleFixture(database, twoOrgs().slice(0, 1), { now: TUESDAY });
    const gated = gatedJobs();
    const scheduler = fixture.scheduler({ jobs: gated.jobs });
    const first = scheduler.runSlot("crawl", new Date("2026-03-30T03:00:00Z"), "tick");
    await gated.started;
    const [second] = await scheduler.runSlot("crawl", TUESDAY_CRAWL_SLOT, "tick");
    expect(second).toMatchObject({ status: "skipped" });
    gated.release();
    expect((await first).map((o) => o.status)).toEqual(["succeeded"]);

    expect(gated.calls).toHaveLength(1);
    const rows = await ledger(database);
    expect(rows.map((r) => r.status)).toEqual(["succeeded", "skipped"]);
    expect(rows[1]!.summary).toEqual({
      reason: expect.stringMatching(
        /^the crawl of slot 2026-03-30T03:00:00.000Z is still running \(schedule run \d+, pid \d+ on .+\)$/,
      ) as unknown,
    });
  });

  it("stop() interrupts the running job; the next start takes that slot up again, once", async () => {
    const fixture = await scheduleFixture(database, twoOrgs().slice(0, 1), { now: TUESDAY });
    await rememberSchedule(database.db, {
      job: "crawl",
      cron: fixture.runtime.config.schedule.jobs.crawl.cron,
      timezone: BERLIN,
      at: new Date("2026-03-01T00:00:00Z"),
    });
    const gated = gatedJobs();
    const first = fixture.scheduler({ jobs: gated.jobs });
    await first.start();
    const caughtUp = first.catchUp();
    await gated.started;
    await first.stop("SIGTERM");
    expect((await caughtUp).map((o) => [o.slot.toISOString(), o.status])).toEqual([
      [TUESDAY_CRAWL_SLOT.toISOString(), "interrupted"],
    ]);
    const [interrupted] = await ledger(database);
    expect(interrupted).toMatchObject({ status: "interrupted", attempts: 1 });
    expect(interrupted!.error).toMatch(/^interrupted: SIGTERM; the next run resumes/);

    const again = gatedJobs();
    again.release();
    const second = fixture.scheduler({ jobs: again.jobs });
    await second.start();
    expect((await second.catchUp()).map((o) => o.status)).toEqual(["succeeded"]);
    const third = fixture.scheduler({ jobs: again.jobs });
    await third.start();
    expect(await third.catchUp()).toEqual([]);
    expect(again.calls).toEqual([
      { job: "crawl", org: sim.orgs[0]!.id, slot: TUESDAY_CRAWL_SLOT.toISOString() },
    ]);
    expect(await ledger(database)).toMatchObject([
      { status: "succeeded", attempts: 2, error: null },
    ]);
  });

  it("a scheduler started on Tuesday after a missed Monday sends the weekly email once", async () => {
    const fixture = await scheduleFixture(database, twoOrgs().slice(0, 1), { now: TUESDAY });
    // A scheduler ran these schedules before; it was down over Monday.
    for (const job of scheduleJobNames) {
      await rememberSchedule(database.db, {
        job,
        cron: fixture.runtime.config.schedule.jobs[job].cron,
        timezone: BERLIN,
        at: new Date("2026-03-20T00:00:00Z"),
      });
    }
    const restarted = fixture.scheduler();
    await restarted.start();
    const outcomes = await restarted.catchUp();
    await restarted.stop();
    expect(outcomes.map((o) => [o.job, o.slot.toISOString(), o.status])).toEqual([
      ["crawl", TUESDAY_CRAWL_SLOT.toISOString(), "succeeded"],
      ["report", MONDAY_REPORT_SLOT.toISOString(), "succeeded"],
      ["policy", "2026-03-30T06:00:00.000Z", "skipped"],
    ]);
    expect(outcomes[1]!.summary).toMatchObject({ deliveries: { written: 1 } });
    expect(await fixture.outbox()).toHaveLength(1);

    // Started again (and again): nothing is due that has not run.
    for (let i = 0; i < 2; i++) {
      const next = fixture.scheduler();
      await next.start();
      expect(await next.catchUp()).toEqual([]);
    }
    expect(await fixture.outbox()).toHaveLength(1);
    const deliveries = await database.db.selectFrom("email_deliveries").select("status").execute();
    expect(deliveries).toEqual([{ status: "sent" }]);
    expect((await ledger(database)).map((r) => [r.job, r.status])).toEqual([
      ["crawl", "succeeded"],
      ["policy", "skipped"],
      ["report", "succeeded"],
    ]);
  });

  it("an org with a bad key fails its own rows; the other org is crawled and its report sent", async () => {
    const [good, other] = twoOrgs();
    const bad = { ...other!, name: "bad", apiKey: "not-the-key" };
    const fixture = await scheduleFixture(database, [good!, bad], { now: TUESDAY });
    const scheduler = fixture.scheduler();
    const crawls = await scheduler.runSlot("crawl", TUESDAY_CRAWL_SLOT, "tick");
    expect(crawls.map((o) => [o.org, o.status])).toEqual([
      [good!.orgId, "succeeded"],
      [bad.orgId, "failed"],
    ]);
    expect(crawls[1]!.error).toMatch(/401|key/i);
    expect(crawls[1]!.error).not.toContain("not-the-key");

    const reports = await scheduler.runSlot("report", new Date("2026-03-31T05:00:00Z"), "once");
    expect(reports.map((o) => [o.org, o.status])).toEqual([
      [good!.orgId, "succeeded"],
      [bad.orgId, "failed"],
    ]);
    expect(reports[1]!.error).toMatch(/no succeeded crawl for org/);
    expect(await fixture.outbox()).toHaveLength(1);
    const sent = await database.db.selectFrom("email_deliveries").select("org_id").execute();
    expect(sent).toEqual([{ org_id: good!.orgId }]);
  });
});
