import { describe, expect, it } from "vitest";
import { parseTimestamp } from "../../../src/atlassian/index.ts";

describe("parseTimestamp", () => {
  it("keeps millisecond precision of nanosecond timestamps", () => {
    expect(parseTimestamp("2025-11-06T23:07:29.936941226Z")?.toISOString()).toBe(
      "2025-11-06T23:07:29.936Z",
    );
  });
  it("reads date-only values as midnight UTC", () => {
    expect(parseTimestamp("2026-08-03")?.toISOString()).toBe("2026-08-03T00:00:00.000Z");
  });
  it("accepts seconds, no fraction, offsets and minute precision", () => {
    expect(parseTimestamp("2026-08-03T14:02:11Z")?.toISOString()).toBe("2026-08-03T14:02:11.000Z");
    expect(parseTimestamp("2023-10-11T17:32Z")?.toISOString()).toBe("2023-10-11T17:32:00.000Z");
    expect(parseTimestamp("2025-06-06T06:03:27.122+00:00")?.toISOString()).toBe(
      "2025-06-06T06:03:27.122Z",
    );
    expect(parseTimestamp("2025-06-06T08:03:27+0200")?.toISOString()).toBe(
      "2025-06-06T06:03:27.000Z",
    );
    expect(parseTimestamp("2025-06-06T06:03:27.5Z")?.toISOString()).toBe(
      "2025-06-06T06:03:27.500Z",
    );
  });
  it("rejects garbage instead of guessing", () => {
    expect(parseTimestamp("yesterday")).toBeUndefined();
    expect(parseTimestamp("2026-13-01")).toBeUndefined();
    expect(parseTimestamp("2026-02-31")).toBeUndefined();
    expect(parseTimestamp("2024-02-29")?.toISOString()).toBe("2024-02-29T00:00:00.000Z");
    expect(parseTimestamp("")).toBeUndefined();
  });
});
