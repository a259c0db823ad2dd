/**
 * Batched writes of the per-user crawl phase: one statement for many users where the
 * per-row repository functions would send one each. On embedded PGlite every statement runs
 * on the crawl's own thread, so statements saved are API turns not lost.
 */
import { sql, type Kysely, type Transaction } from "kysely";
import { json } from "../json.ts";
import type { Database } from "../schema.ts";
import type { CheckPurpose } from "./crawl-runs.repository.ts";

type Db = Kysely<Database> | Transaction<Database>;

export interface CompletedCheck {
  accountId: string;
  purpose: CheckPurpose;
  state: "done" | "failed";
  detail?: Record<string, unknown>;
}

/** Marks many per-user checks of a run done or failed, with their details, in one UPDATE. */
export async function completeUserChecks(
  db: Db,
  runId: number,
  checks: CompletedCheck[],
): Promise<void> {
  // Bound the statement's parameters (4 a row) well under Postgres's 65,535.
  for (let i = 0; i < checks.length; i += 2000) {
    const rows = checks
      .slice(i, i + 2000)
      .map(
        (c) =>
          sql`(${c.accountId}::text, ${c.purpose}::text, ${c.state}::text, ${json(c.detail ?? {})}::jsonb)`,
      );
    await sql`
      update crawl_user_checks c
      set state = v.state, detail = v.detail
      from (values ${sql.join(rows)}) as v(account_id, purpose, state, detail)
      where c.run_id = ${runId} and c.account_id = v.account_id and c.purpose = v.purpose`.execute(
      db,
    );
  }
}

/** Refreshes the planner's statistics of the per-user work queue (see crawlPerUser). */
export async function analyzeUserChecks(db: Db): Promise<void> {
  await sql`analyze crawl_user_checks`.execute(db);
}
