import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import { startHealthServer, type HealthServer } from "../../../src/schedule/health.ts";
import type { JobRunner } from "../../../src/schedule/scheduler.ts";
import { describeEachBackend } from "../../helpers/database.ts";
import { scheduleFixture, type ScheduleFixture } from "./fixture.ts";

const TUESDAY = new Date("2026-03-31T08:00:00Z");

/** Every sample line of the Prometheus text format: name, optional labels, value, optional timestamp. */
const SAMPLE_LINE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|[+-]Inf)( -?[0-9]+)?$/;

describeEachBackend("/healthz and /metrics over HTTP", (backend) => {
  let database: ReclaimDatabase;
  let fixture: ScheduleFixture;
  let server: HealthServer;

  const summaries: Record<string, Record<string, unknown>> = {
    crawl: { users: 230, apiCalls: 41, rateLimited: 2 },
    report: { dormantSeats: 17 },
    policy: { reason: "not built yet" },
  };
  const job: JobRunner = (ctx) =>
    Promise.resolve({
      status: ctx.job === "policy" ? "skipped" : "succeeded",
      summary: summaries[ctx.job]!,
    });

  beforeAll(async () => {
    database = await backend.open();
    fixture = await scheduleFixture(
      database,
      [
        { name: "acme", orgId: "org-acme", apiKey: "k1", apiUrl: "http://127.0.0.1:9" },
        { name: "bad", orgId: "org-bad", apiKey: "k2", apiUrl: "http://127.0.0.1:9" },
      ],
      { now: TUESDAY },
    );
    const { config } = fixture.runtime;
    server = await startHealthServer(
      {
        db: database.db,
        clock: fixture.clock,
        log: fixture.runtime.log,
        schedule: config.schedule,
        jobs: ["crawl", "report", "policy"],
      },
      { host: "127.0.0.1", port: 0 },
    );
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  it("is healthy before the first slot of a new schedule, and after each job ran", async () => {
    const scheduler = fixture.scheduler({ jobs: { crawl: job, report: job, policy: job } });
    await scheduler.start();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    await scheduler.runSlot("crawl", new Date("2026-03-31T03:00:00Z"), "tick");
    await scheduler.runSlot("report", new Date("2026-03-30T05:00:00Z"), "tick");
    await scheduler.runSlot("policy", new Date("2026-03-30T06:00:00Z"), "tick");
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = (await res.json()) as { status: string; jobs: { job: string; stale: boolean }[] };
    expect(body.status).toBe("ok");
    expect(body.jobs.map((j) => [j.job, j.stale])).toEqual([
      ["crawl", false],
      ["report", false],
      ["policy", false],
    ]);
  });

  it("answers 503 naming the job whose last run is older than its period", async () => {
    // Thursday morning: Tuesday's crawl is two days old; Monday's report is within its week.
    fixture.clock.set("2026-04-02T08:00:00Z");
    try {
      const res = await fetch(`${server.url}/healthz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { status: string; stale: string[] };
      expect(body).toMatchObject({ status: "stale", stale: ["crawl"] });
    } finally {
      fixture.clock.set(TUESDAY);
    }
  });

  it("serves per-job and per-org metrics in the Prometheus text format", async () => {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const line of text.split("\n")) {
      if (line === "" || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
      expect(line, "a sample line of the text format").toMatch(SAMPLE_LINE);
    }
    const families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
    const samples = (name: string) =>
      (families.get(name)?.metrics ?? []).map((m) => ({ ...m.labels, value: Number(m.value) }));

    expect(families.get("reclaim_job_runs")?.type).toBe("GAUGE");
    expect(samples("reclaim_job_runs")).toEqual(
      expect.arrayContaining([
        { job: "crawl", status: "succeeded", value: 2 },
        { job: "report", status: "succeeded", value: 2 },
        { job: "policy", status: "skipped", value: 2 },
      ]),
    );
    expect(samples("reclaim_job_last_success_timestamp_seconds")).toEqual(
      expect.arrayContaining([{ job: "crawl", value: TUESDAY.getTime() / 1000 }]),
    );
    expect(samples("reclaim_job_last_duration_seconds")).toEqual(
      expect.arrayContaining([{ job: "crawl", value: 0 }]),
    );
    expect(samples("reclaim_org_users")).toEqual([
      { org: "org-acme", value: 230 },
      { org: "org-bad", value: 230 },
    ]);
    expect(samples("reclaim_org_api_calls")).toEqual(
      expect.arrayContaining([{ org: "org-acme", value: 41 }]),
    );
    expect(samples("reclaim_org_rate_limited")).toEqual(
      expect.arrayContaining([{ org: "org-acme", value: 2 }]),
    );
    expect(samples("reclaim_org_dormant_seats")).toEqual(
      expect.arrayContaining([{ org: "org-acme", value: 17 }]),
    );
    // Process metrics from prom-client, under the same prefix.
    expect(families.has("reclaim_process_cpu_seconds_total")).toBe(true);
  });

  it("gives a failed crawl's org no user count rather than a zero", async () => {
    const failing: JobRunner = (ctx) =>
      Promise.resolve(
        ctx.org.ref === "org-bad"
          ? { status: "failed", summary: { orgId: "org-bad" }, error: "401" }
          : { status: "succeeded", summary: { users: 231 } },
      );
    fixture.clock.set("2026-03-31T09:00:00Z");
    const scheduler = fixture.scheduler({ jobs: { crawl: failing, report: job, policy: job } });
    await scheduler.runSlot("crawl", new Date("2026-03-31T09:00:00Z"), "once");
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const users = parsePrometheusTextFormat(text).find((f) => f.name === "reclaim_org_users");
    expect(users?.metrics.map((m) => [m.labels?.org, m.value])).toEqual([["org-acme", "231"]]);
  });
});
