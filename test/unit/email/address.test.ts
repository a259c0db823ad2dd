import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/config.ts";
import {
  addressOf,
  formatMailbox,
  parseMailbox,
  parseMailboxList,
  uniqueByAddress,
} from "../../../src/email/address.ts";

describe("email addresses", () => {
  it.each([
    ["jane@example.com", { name: "", address: "jane@example.com" }],
    ["Jane Doe <jane@example.com>", { name: "Jane Doe", address: "jane@example.com" }],
    ['"Doe, Jane" <jane@example.com>', { name: "Doe, Jane", address: "jane@example.com" }],
    ["<jane@example.com>", { name: "", address: "jane@example.com" }],
  ])("accepts %s", (text, mailbox) => {
    expect(parseMailbox(text)).toEqual(mailbox);
  });

  it.each([
    "not an address",
    "jane@",
    "Jane <jane@example.com",
    "jane@example.com bob@example.com",
    "a@example.com, b@example.com",
    "team: a@example.com, b@example.com;",
  ])("refuses %s", (text) => {
    expect(parseMailbox(text)).toHaveProperty("problem");
  });

  it("splits lists on commas outside quoted names, and formats names back safely", () => {
    const { mailboxes, problems } = parseMailboxList(
      '"Doe, Jane" <jane@example.com>, bob@example.com, , Ann <ann@example.com>',
    );
    expect(problems).toEqual([]);
    expect(mailboxes.map(formatMailbox)).toEqual([
      '"Doe, Jane" <jane@example.com>',
      "bob@example.com",
      "Ann <ann@example.com>",
    ]);
    expect(mailboxes.map((m) => parseMailbox(formatMailbox(m)))).toEqual(mailboxes);
    expect(addressOf('"Doe, Jane" <jane@example.com>')).toBe("jane@example.com");
    expect(uniqueByAddress(["Ann <ann@example.com>", "ANN@example.com", "b@example.com"])).toEqual([
      "Ann <ann@example.com>",
      "b@example.com",
    ]);
  });

  it("config: REPORT_TO, REPORT_FROM and email.* accept names; a bad one names the variable", () => {
    const config = loadConfig(
      {
        REPORT_TO: 'Jane Doe <jane@example.com>, "Roe, Rick" <rick@example.com>',
        REPORT_FROM: "Reclaim <reclaim@example.com>",
      },
      {},
      "/nonexistent",
    );
    expect(config.email.to).toEqual([
      "Jane Doe <jane@example.com>",
      '"Roe, Rick" <rick@example.com>',
    ]);
    expect(config.email.from).toBe("Reclaim <reclaim@example.com>");
    expect(() =>
      loadConfig(
        { REPORT_TO: "ok@example.com, nope", REPORT_FROM: "Reclaim <reclaim@>" },
        {},
        "/nonexistent",
      ),
    ).toThrow(/REPORT_FROM: "Reclaim <reclaim@>" is not an email address[\s\S]*REPORT_TO: "nope"/);
  });
});
