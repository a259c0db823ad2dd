import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config/config.ts";
import { jobId } from "../../../src/schedule/boss.ts";
import { parseListen } from "../../../src/schedule/health.ts";

async function withFile(content: unknown): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "reclaim-schedule-config-"));
  const file = path.join(dir, "reclaim.config.json");
  await writeFile(file, JSON.stringify(content));
  return file;
}

describe("schedule config", () => {
  it("defaults to a daily crawl and Monday report and policy, outside 02:00-03:00", () => {
    const { schedule } = loadConfig(
      { RECLAIM_SCHEDULE_TIMEZONE: "Europe/Berlin" },
      {},
      "/nonexistent",
    );
    expect(schedule).toEqual({
      timezone: "Europe/Berlin",
      engine: "local",
      jobs: {
        crawl: { cron: "0 5 * * *", enabled: true },
        report: { cron: "0 7 * * 1", enabled: true },
        policy: { cron: "0 8 * * 1", enabled: true },
      },
      leaseSeconds: 120,
      shutdownGraceSeconds: 30,
    });
  });

  it("reads the file's section, and the environment wins over it", async () => {
    const file = await withFile({
      schedule: {
        timezone: "America/New_York",
        engine: "pg-boss",
        jobs: { crawl: { cron: "0 4 * * *" }, policy: { enabled: false } },
      },
    });
    const { schedule } = loadConfig(
      { RECLAIM_CONFIG: file, RECLAIM_SCHEDULE_CRAWL: "*/20 * * * * *" },
      {},
      "/nonexistent",
    );
    expect(schedule.timezone).toBe("America/New_York");
    expect(schedule.engine).toBe("pg-boss");
    expect(schedule.jobs.crawl).toEqual({ cron: "*/20 * * * * *", enabled: true });
    expect(schedule.jobs.policy).toEqual({ cron: "0 8 * * 1", enabled: false });
  });

  it("names every bad value and where it came from", async () => {
    const file = await withFile({
      schedule: { timezone: "Mars/Olympus", jobs: { report: { cron: "every monday" } } },
    });
    let error: unknown;
    try {
      loadConfig(
        {
          RECLAIM_CONFIG: file,
          RECLAIM_SCHEDULE_POLICY: "61 * * * *",
          RECLAIM_SCHEDULE_ENGINE: "cron",
        },
        {},
        "/nonexistent",
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        "config file: schedule.timezone: is not an IANA timezone (e.g. Europe/Berlin, UTC)",
        "config file: schedule.jobs.report.cron: is not a cron expression (five fields, or six with seconds first)",
      ]),
    );
    // The file's problems stop the section from being read; the environment is checked alone.
    const envOnly = (() => {
      try {
        loadConfig(
          { RECLAIM_SCHEDULE_POLICY: "61 * * * *", RECLAIM_SCHEDULE_ENGINE: "cron" },
          {},
          "/nonexistent",
        );
      } catch (e) {
        return (e as ConfigError).problems;
      }
      return [];
    })();
    expect(envOnly).toEqual([
      'RECLAIM_SCHEDULE_POLICY: "61 * * * *" is not a cron expression (five fields, or six with seconds first)',
      expect.stringMatching(/^RECLAIM_SCHEDULE_ENGINE: "cron" /) as unknown,
    ]);
  });
});

describe("--listen", () => {
  it("takes HOST:PORT, [IPv6]:PORT or a bare port", () => {
    expect(parseListen("127.0.0.1:9464")).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(parseListen("[::1]:9465")).toEqual({ host: "::1", port: 9465 });
    expect(parseListen("9466")).toEqual({ host: "127.0.0.1", port: 9466 });
    expect(parseListen("localhost")).toBeNull();
    expect(parseListen("127.0.0.1:99999")).toBeNull();
  });
});

describe("pg-boss job ids", () => {
  it("are UUIDs, the same for the same job, org and slot, and differ otherwise", () => {
    const slot = new Date("2026-03-30T05:00:00Z");
    const id = jobId("crawl", "org-1", slot);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(jobId("crawl", "org-1", new Date(slot))).toBe(id);
    expect(jobId("crawl", "org-2", slot)).not.toBe(id);
    expect(jobId("report", "org-1", slot)).not.toBe(id);
    expect(jobId("crawl", "org-1", new Date(slot.getTime() + 1000))).not.toBe(id);
  });
});
