/**
 * The SQL form of each rule equals its TypeScript form, on both backends, at every boundary:
 * the repositories' aggregates and the report rows / policy plan cannot disagree.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import {
  activitySql,
  activityWindow,
  billableSql,
  isActiveSince,
  isBillableAccount,
  seatState,
} from "../../../src/rules/index.ts";
import { describeEachBackend } from "../../helpers/database.ts";

const DAY = 86_400_000;
const asOf = new Date("2026-11-28T12:00:00Z");
const ago = (days: number, ms = 0) => new Date(asOf.getTime() - days * DAY + ms);

describeEachBackend("rules in SQL and TypeScript", (backend) => {
  let database: ReclaimDatabase;
  beforeAll(async () => {
    database = await backend.open({ migrate: false });
  });
  afterAll(async () => {
    await database?.close();
  });

  it("classify every seat the same way at every threshold", async () => {
    const lastActive = [
      null,
      ago(0),
      ago(29, 1),
      ago(30),
      ago(30, 1),
      ago(90),
      ago(90, 1),
      ago(400),
    ];
    const added = [null, ago(0), ago(29, 999), ago(30), ago(30, 1), ago(31), ago(1000)];
    for (const rules of [
      { dormantAfterDays: 90, newUserGraceDays: 30, thresholdsDays: [30, 60, 90, 180] },
      { dormantAfterDays: 120, newUserGraceDays: 45, thresholdsDays: [14, 30, 365] },
    ]) {
      const w = activityWindow(asOf, rules);
      const cases = lastActive.flatMap((l) => added.map((a) => ({ l, a })));
      const values = sql.join(
        cases.map((c, i) => sql`(${i}, ${c.l}::timestamptz, ${c.a}::timestamptz)`),
      );
      const { rows } = await sql<Record<string, unknown>>`
        select i, ${sql.join(
          w.windows.flatMap((x) => [
            sql`${activitySql.isActiveSince("s.last_active_at", x.since)} as ${sql.ref(`a${x.days}`)}`,
            sql`${activitySql.isGrace("s.last_active_at", "s.added_to_org", w, x.days)} as ${sql.ref(`g${x.days}`)}`,
            sql`${activitySql.isDormant("s.last_active_at", "s.added_to_org", w, x.days)} as ${sql.ref(`d${x.days}`)}`,
          ]),
        )}
        from (values ${values}) as s(i, last_active_at, added_to_org) order by i`.execute(
        database.db,
      );
      expect(rows).toHaveLength(cases.length);
      for (const row of rows) {
        const c = cases[Number(row.i)]!;
        for (const x of w.windows) {
          const state = seatState({ lastActiveAt: c.l }, { addedToOrg: c.a }, w, x.days);
          const where = `${x.days} days, last ${c.l?.toISOString()}, added ${c.a?.toISOString()}`;
          expect(row[`a${x.days}`], where).toBe(isActiveSince(c.l, x.since));
          expect(row[`a${x.days}`], where).toBe(state === "active");
          expect(row[`g${x.days}`], where).toBe(state === "grace");
          expect(row[`d${x.days}`], where).toBe(state === "dormant");
        }
      }
    }
  });

  it("agree on which accounts are billable", async () => {
    const types = ["atlassian", "app", "customer", null];
    const accountStatuses = ["active", "inactive", "closed", null];
    const memberships = ["active", "suspended", "no_membership", null];
    const statuses = ["active", "suspended", null];
    const cases = types.flatMap((t) =>
      accountStatuses.flatMap((a) =>
        memberships.flatMap((m) =>
          statuses.flatMap((s) =>
            [false, true].map((removed) => ({
              accountType: t,
              accountStatus: a,
              membershipStatus: m,
              status: s,
              removed,
            })),
          ),
        ),
      ),
    );
    const values = sql.join(
      cases.map(
        (c, i) =>
          sql`(${i}, ${c.accountType}::text, ${c.accountStatus}::text, ${c.membershipStatus}::text, ${c.status}::text, ${c.removed}::boolean)`,
      ),
    );
    const { rows } = await sql<{ i: number; billable: boolean }>`
      select i, ${billableSql("u")} as billable
      from (values ${values}) as u(i, account_type, account_status, membership_status, status, removed)
      order by i`.execute(database.db);
    expect(rows).toHaveLength(cases.length);
    for (const row of rows) {
      const c = cases[Number(row.i)]!;
      expect(row.billable, JSON.stringify(c)).toBe(isBillableAccount(c));
    }
  });
});
