import { describe, expect, it } from "vitest";
import { parseRateLimitReset, parseRetryAfter } from "../../../src/atlassian/index.ts";

const NOW = Date.UTC(2023, 9, 11, 17, 31, 20);

describe("Retry-After", () => {
  it("reads delta seconds, including decimals", () => {
    expect(parseRetryAfter("30", NOW)).toBe(30_000);
    expect(parseRetryAfter("0.25", NOW)).toBe(250);
    expect(parseRetryAfter(" 0 ", NOW)).toBe(0);
  });
  it("reads an HTTP-date relative to now, never negative", () => {
    expect(parseRetryAfter("Wed, 11 Oct 2023 17:31:50 GMT", NOW)).toBe(30_000);
    expect(parseRetryAfter("Wed, 11 Oct 2023 17:00:00 GMT", NOW)).toBe(0);
  });
  it("ignores absent or unparsable values", () => {
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
    expect(parseRetryAfter("", NOW)).toBeUndefined();
    expect(parseRetryAfter("soon", NOW)).toBeUndefined();
  });
});

describe("X-RateLimit-Reset", () => {
  it("reads the observed minute-precision form", () => {
    expect(parseRateLimitReset("2023-10-11T17:32Z", NOW)).toBe(Date.UTC(2023, 9, 11, 17, 32, 0));
  });
  it("is lenient: seconds, fractions, offsets", () => {
    expect(parseRateLimitReset("2023-10-11T17:32:30Z", NOW)).toBe(
      Date.UTC(2023, 9, 11, 17, 32, 30),
    );
    expect(parseRateLimitReset("2023-10-11T17:32:30.250Z", NOW)).toBe(
      Date.UTC(2023, 9, 11, 17, 32, 30, 250),
    );
    expect(parseRateLimitReset("2023-10-11T19:32+02:00", NOW)).toBe(
      Date.UTC(2023, 9, 11, 17, 32, 0),
    );
  });
  it("accepts epoch seconds and ms defensively, rejects ambiguous small numbers and junk", () => {
    expect(parseRateLimitReset("1697045520", NOW)).toBe(1697045520_000);
    expect(parseRateLimitReset("1697045520000", NOW)).toBe(1697045520_000);
    expect(parseRateLimitReset("30", NOW)).toBeUndefined();
    expect(parseRateLimitReset("next minute", NOW)).toBeUndefined();
    expect(parseRateLimitReset(null, NOW)).toBeUndefined();
  });
});
