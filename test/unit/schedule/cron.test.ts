import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  cronTicker,
  expectedPeriodMs,
  nextSlots,
  previousSlot,
  type CronSpec,
} from "../../../src/schedule/cron.ts";

const BERLIN = "Europe/Berlin";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Local wall-clock time in Berlin, e.g. "2026-03-29 05:00 Sun". */
function berlin(d: Date): string {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: BERLIN,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      weekday: "short",
      hourCycle: "h23",
    })
      .formatToParts(d)
      .map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} ${p.weekday}`;
}

/** Starts a real node-cron ticker under fake time and collects the slots it fires. */
async function ticksBetween(spec: CronSpec, from: string, days: number): Promise<Date[]> {
  vi.setSystemTime(new Date(from));
  const slots: Date[] = [];
  const ticker = cronTicker(spec, (slot) => slots.push(slot));
  ticker.start();
  try {
    await vi.advanceTimersByTimeAsync(days * DAY);
  } finally {
    ticker.stop();
  }
  return slots;
}

describe("ticks at local times", () => {
  beforeEach(() => {
    vi.useFakeTimers({
      toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"],
    });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("fires the daily crawl at 05:00 Berlin time on both sides of the spring-forward change", async () => {
    const slots = await ticksBetween(
      { cron: "0 5 * * *", timezone: BERLIN },
      "2026-03-27T12:00:00Z",
      4,
    );
    expect(slots.map((s) => s.toISOString())).toEqual([
      "2026-03-28T04:00:00.000Z", // CET, UTC+1
      "2026-03-29T03:00:00.000Z", // the night of the change: CEST, UTC+2
      "2026-03-30T03:00:00.000Z",
      "2026-03-31T03:00:00.000Z",
    ]);
    expect(slots.map(berlin).every((s) => s.includes(" 05:00 "))).toBe(true);
  });

  it("fires the weekly report on Monday 07:00 local, in winter and in summer time", async () => {
    const slots = await ticksBetween(
      { cron: "0 7 * * 1", timezone: BERLIN },
      "2026-03-20T00:00:00Z",
      14,
    );
    expect(slots.map((s) => s.toISOString())).toEqual([
      "2026-03-23T06:00:00.000Z",
      "2026-03-30T05:00:00.000Z",
    ]);
    expect(slots.map(berlin)).toEqual(["2026-03-23 07:00 Mon", "2026-03-30 07:00 Mon"]);
  });

  it("skips a slot that falls in the spring-forward gap (why the defaults avoid 02:00-03:00)", async () => {
    const slots = await ticksBetween(
      { cron: "30 2 * * *", timezone: BERLIN },
      "2026-03-28T12:00:00Z",
      3,
    );
    expect(slots.map(berlin)).toEqual(["2026-03-30 02:30 Mon", "2026-03-31 02:30 Tue"]);
  });

  it("fires a slot in the repeated fall-back hour once, and a catch-up finds that same slot", async () => {
    const spec = { cron: "30 2 * * *", timezone: BERLIN };
    const slots = await ticksBetween(spec, "2026-10-24T12:00:00Z", 2);
    const onChangeDay = slots.filter((s) => berlin(s).startsWith("2026-10-25"));
    expect(onChangeDay).toHaveLength(1);
    // The ledger keys on the slot instant: a catch-up after the second 02:30 must name the same one.
    const caughtUp = previousSlot(
      spec,
      new Date("2026-10-25T03:00:00Z"),
      new Date("2026-10-20T00:00:00Z"),
    );
    expect(caughtUp?.toISOString()).toBe(onChangeDay[0]!.toISOString());
  });

  it("ticks every few seconds with a six-field expression (for demos and tests)", async () => {
    const slots = await ticksBetween(
      { cron: "*/20 * * * * *", timezone: "UTC" },
      "2026-12-01T10:00:05Z",
      1 / 1440,
    );
    expect(slots.map((s) => s.toISOString())).toEqual([
      "2026-12-01T10:00:20.000Z",
      "2026-12-01T10:00:40.000Z",
      "2026-12-01T10:01:00.000Z",
    ]);
  });

  it("prints the next slots from the current time", () => {
    vi.setSystemTime(new Date("2026-03-27T12:00:00Z"));
    expect(nextSlots({ cron: "0 5 * * *", timezone: BERLIN }, 3).map(berlin)).toEqual([
      "2026-03-28 05:00 Sat",
      "2026-03-29 05:00 Sun",
      "2026-03-30 05:00 Mon",
    ]);
    // Across spring-forward one day is 23 hours; the longest gap stays a day.
    expect(expectedPeriodMs({ cron: "0 5 * * *", timezone: BERLIN })).toBe(DAY);
    // Across fall-back the week from Monday to Monday is an hour longer.
    vi.setSystemTime(new Date("2026-10-13T12:00:00Z"));
    expect(expectedPeriodMs({ cron: "0 7 * * 1", timezone: BERLIN })).toBe(7 * DAY + HOUR);
  });
});

describe("previousSlot (catch-up)", () => {
  const report = { cron: "0 7 * * 1", timezone: BERLIN };

  it("finds Monday's slot on Tuesday, once, however many Mondays were missed", () => {
    const tuesday = new Date("2026-03-31T08:00:00Z");
    const slot = previousSlot(report, tuesday, new Date("2026-01-01T00:00:00Z"));
    expect(slot?.toISOString()).toBe("2026-03-30T05:00:00.000Z");
  });

  it("finds nothing for slots before the schedule was known", () => {
    const tuesday = new Date("2026-03-31T08:00:00Z");
    expect(previousSlot(report, tuesday, new Date("2026-03-30T06:00:00Z"))).toBeNull();
  });

  it("counts a slot exactly at now as due", () => {
    const at = new Date("2026-03-30T05:00:00Z");
    expect(previousSlot(report, at, new Date("2026-03-01T00:00:00Z"))?.toISOString()).toBe(
      at.toISOString(),
    );
  });

  it("finds the latest second of a six-field expression", () => {
    const at = new Date("2026-12-01T10:00:59.500Z");
    const slot = previousSlot({ cron: "*/20 * * * * *", timezone: "UTC" }, at, new Date(0));
    expect(slot?.toISOString()).toBe("2026-12-01T10:00:40.000Z");
  });
});
