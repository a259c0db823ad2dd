import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import {
  claimSlot,
  finishSlot,
  markAbandoned,
  rememberSchedule,
  renewLease,
  type Owner,
} from "../../../src/schedule/ledger.repository.ts";
import { describeEachBackend } from "../../helpers/database.ts";
import { emptyDatabase } from "./fixture.ts";

const slot = new Date("2026-03-30T05:00:00Z");
const key = { job: "report", org: "org-1", slot };
const at = new Date("2026-03-30T05:00:01Z");
const owner = (n: number): Owner => ({ id: `owner-${n}`, host: "host-a", pid: 1000 + n });
const LEASE = 60_000;

describeEachBackend("schedule ledger", (backend) => {
  let database: ReclaimDatabase;
  beforeAll(async () => {
    database = await backend.open();
  });
  afterAll(async () => {
    await database.close();
  });
  beforeEach(async () => {
    await emptyDatabase(database);
  });

  it("gives a slot to exactly one of many concurrent claimers", async () => {
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        claimSlot(database.db, key, { trigger: "tick", owner: owner(i), at, leaseMs: LEASE }),
      ),
    );
    expect(claims.filter((c) => c.claimed)).toHaveLength(1);
    const rows = await database.db.selectFrom("schedule_runs").selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "running", attempts: 1 });
  });

  it("lets nobody take a live claim, and one taker an expired one", async () => {
    const first = await claimSlot(database.db, key, {
      trigger: "tick",
      owner: owner(1),
      at,
      leaseMs: LEASE,
    });
    expect(first.claimed).toBe(true);
    const early = await claimSlot(database.db, key, {
      trigger: "tick",
      owner: owner(2),
      at: new Date(at.getTime() + LEASE - 1),
      leaseMs: LEASE,
    });
    expect(early).toMatchObject({ claimed: false, run: { status: "running" } });

    const late = new Date(at.getTime() + LEASE + 1);
    const takers = await Promise.all(
      [2, 3, 4].map((n) =>
        claimSlot(database.db, key, {
          trigger: "catch-up",
          owner: owner(n),
          at: late,
          leaseMs: LEASE,
        }),
      ),
    );
    const won = takers.filter((t) => t.claimed);
    expect(won).toHaveLength(1);
    expect(won[0]).toMatchObject({ takenOver: true, run: { attempts: 2, trigger: "catch-up" } });
    // The first owner lost it: its heartbeat and its end are refused.
    expect(await renewLease(database.db, first.run.schedule_run_id, owner(1), late, LEASE)).toBe(
      false,
    );
    expect(
      await finishSlot(database.db, first.run, owner(1), { status: "succeeded", at: late }),
    ).toBe(false);
  });

  it("marks interrupted a row whose lease ran out, or whose process on this host is gone", async () => {
    const dead = await claimSlot(database.db, key, {
      trigger: "tick",
      owner: owner(1),
      at,
      leaseMs: LEASE,
    });
    const live = await claimSlot(
      database.db,
      { ...key, org: "org-2" },
      { trigger: "tick", owner: owner(2), at, leaseMs: LEASE },
    );
    const elsewhere = await claimSlot(
      database.db,
      { ...key, org: "org-3" },
      { trigger: "tick", owner: { id: "x", host: "host-b", pid: 1001 }, at, leaseMs: LEASE },
    );
    expect([dead.claimed, live.claimed, elsewhere.claimed]).toEqual([true, true, true]);
    const marked = await markAbandoned(database.db, {
      at,
      host: "host-a",
      isAlive: (pid) => pid !== 1001,
    });
    // pid 1001 is gone on host-a; on host-b the same pid is another machine's, still leased.
    expect(marked.map((r) => [r.org, r.status])).toEqual([["org-1", "interrupted"]]);
    expect(marked[0]!.error).toBe("interrupted: its process (pid 1001 on host-a) is gone");

    const later = await markAbandoned(database.db, {
      at: new Date(at.getTime() + LEASE + 1),
      host: "host-a",
      isAlive: () => true,
    });
    expect(later.map((r) => r.org).sort()).toEqual(["org-2", "org-3"]);
    expect(later[0]!.error).toMatch(/^interrupted: its lease ran out at /);
  });

  it("does not take over a finished or skipped slot, nor a failed one unless asked", async () => {
    const c = await claimSlot(database.db, key, {
      trigger: "tick",
      owner: owner(1),
      at,
      leaseMs: LEASE,
    });
    if (!c.claimed) throw new Error("not claimed");
    await finishSlot(database.db, c.run, owner(1), { status: "failed", at, error: "boom" });
    const later = new Date(at.getTime() + 10 * LEASE);
    expect(
      (
        await claimSlot(database.db, key, {
          trigger: "tick",
          owner: owner(2),
          at: later,
          leaseMs: LEASE,
        })
      ).claimed,
    ).toBe(false);
    const retry = await claimSlot(database.db, key, {
      trigger: "queue",
      owner: owner(2),
      at: later,
      leaseMs: LEASE,
      retakeFailed: true,
    });
    expect(retry).toMatchObject({ claimed: true, run: { attempts: 2, error: "boom" } });
    if (!retry.claimed) return;
    await finishSlot(database.db, retry.run, owner(2), { status: "succeeded", at: later });
    expect(
      (
        await claimSlot(database.db, key, {
          trigger: "queue",
          owner: owner(3),
          at: later,
          leaseMs: LEASE,
          retakeFailed: true,
        })
      ).claimed,
    ).toBe(false);
  });

  it("knows a schedule since it was first seen, and anew when its cron changes", async () => {
    const first = new Date("2026-03-01T00:00:00Z");
    const job = { job: "crawl", cron: "0 5 * * *", timezone: "UTC" };
    expect(await rememberSchedule(database.db, { ...job, at: first })).toEqual(first);
    expect(
      await rememberSchedule(database.db, { ...job, at: new Date("2026-03-10T00:00:00Z") }),
    ).toEqual(first);
    const changed = new Date("2026-03-20T00:00:00Z");
    expect(await rememberSchedule(database.db, { ...job, cron: "0 6 * * *", at: changed })).toEqual(
      changed,
    );
    expect(
      await rememberSchedule(database.db, {
        ...job,
        cron: "0 6 * * *",
        timezone: "Europe/Berlin",
        at: new Date("2026-03-21T00:00:00Z"),
      }),
    ).toEqual(new Date("2026-03-21T00:00:00Z"));
  });
});
