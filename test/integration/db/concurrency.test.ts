import { afterAll, beforeAll, expect, it } from "vitest";
import type { ReclaimDatabase } from "../../../src/db/connect.ts";
import { describeEachBackend } from "../../helpers/database.ts";

describeEachBackend("concurrent transactions", (backend) => {
  let database: ReclaimDatabase;
  beforeAll(async () => {
    database = await backend.open();
  });
  afterAll(async () => {
    await database.close();
  });

  it("keep their work apart: a rolled-back transaction never undoes another's commit", async () => {
    const { db } = database;
    const committed = db.transaction().execute(async (trx) => {
      await trx.insertInto("orgs").values({ org_id: "kept", name: "kept" }).execute();
      await new Promise((r) => setTimeout(r, 20));
      await trx.insertInto("orgs").values({ org_id: "kept-2", name: "kept" }).execute();
    });
    const failed = db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto("orgs").values({ org_id: "lost", name: "lost" }).execute();
        await new Promise((r) => setTimeout(r, 10));
        throw new Error("boom");
      })
      .catch((e: unknown) => e);
    const outside = db.insertInto("orgs").values({ org_id: "plain", name: "plain" }).execute();
    await Promise.all([committed, failed, outside]);
    const ids = (await db.selectFrom("orgs").select("org_id").orderBy("org_id").execute()).map(
      (r) => r.org_id,
    );
    expect(ids).toEqual(["kept", "kept-2", "plain"]);
  });
});
