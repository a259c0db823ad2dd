import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { RequestEvent } from "../../../src/atlassian/client.ts";
import { describeRetry, progressPrinter, retryNotices } from "../../../src/cli/progress.ts";

const event = (over: Partial<RequestEvent>): RequestEvent => ({
  endpoint: "last-active-dates",
  orgId: "org-1",
  method: "GET",
  status: 503,
  attempt: 1,
  maxAttempts: 6,
  durationMs: 12,
  retried: true,
  retryInMs: 2_300,
  rateLimited: false,
  ...over,
});

/** A fake terminal: what was written, as text. */
function terminal() {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 200 });
  let text = "";
  stream.on("data", (d: Buffer) => (text += d.toString()));
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}

describe("retries on the progress line", () => {
  it("says what failed, which attempt comes next and when", () => {
    expect(describeRetry(event({}), "acme")).toBe(
      "acme: last-active-dates HTTP 503, attempt 2 of 6 in 2s",
    );
    expect(
      describeRetry(event({ status: 429, rateLimited: true, attempt: 3, retryInMs: 61_000 })),
    ).toBe("last-active-dates rate limited (429), attempt 4 of 6 in 1m01s");
    expect(describeRetry(event({ status: undefined, error: "network", retryInMs: 200 }))).toBe(
      "last-active-dates no answer (timeout or network), attempt 2 of 6 in 1s",
    );
  });

  it("says nothing about attempts that succeeded or will not be retried", () => {
    expect(describeRetry(event({ retried: false, status: 200 }))).toBeUndefined();
    expect(describeRetry(event({ retried: false, status: 401 }))).toBeUndefined();
  });

  it("keeps the notice on the line through the progress updates that follow", () => {
    const tty = terminal();
    const progress = progressPrinter(tty.stream);
    progress.update({ orgId: "o", orgName: "acme", phase: "per-user", done: 1, total: 10 });
    retryNotices(progress)(event({}), "acme");
    progress.update({ orgId: "o", orgName: "acme", phase: "per-user", done: 2, total: 10 });
    progress.update({ orgId: "o", orgName: "acme", phase: "done", done: 10, total: 10 });
    const lastLine = tty.text().split("\r\x1b[2K").at(-1);
    expect(lastLine).toBe(
      "acme: done 10/10 — acme: last-active-dates HTTP 503, attempt 2 of 6 in 2s",
    );
  });
});
