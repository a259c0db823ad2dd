/**
 * A step made of several SQL statements, compiled up front: the caller runs them in order
 * (usually in one transaction), and a test can EXPLAIN the very same SQL in the same state.
 */
import { CompiledQuery, type Kysely } from "kysely";
import type { Database } from "./schema.ts";

export interface Statement {
  /** What the statement does, for logs and test messages. */
  what: string;
  query: CompiledQuery;
}

/** Runs the statements in order; returns the rows each one affected. */
export async function runStatements(
  db: Kysely<Database>,
  statements: readonly Statement[],
): Promise<number[]> {
  const affected: number[] = [];
  for (const s of statements) {
    const result = await db.executeQuery(s.query);
    affected.push(Number(result.numAffectedRows ?? 0));
  }
  return affected;
}

/**
 * Settings for a transaction of statements that each read or write a whole org: no
 * nested-loop joins. A nested loop runs its inner side once per outer row, which pays only
 * when the outer side is a few rows; the planner picks it when it *believes* so, and with
 * statistics of an earlier run (or none, on a first crawl) it believes so exactly when there
 * are thousands (a re-crawl's users all carry a run id the statistics have never seen).
 * Hash and merge joins read each side once whatever the estimates, so every statement stays
 * linear in the org. Their hashes and sorts (the never-used seats' `distinct`, the history's
 * comparisons) hold a whole org's rows: with the default 4 MB of work memory those of a large
 * org spill to temporary files, which on embedded PGlite (one process, its files emulated)
 * made them grow faster than the org. SET LOCAL: the settings end with the transaction.
 */
export const WHOLE_ORG_SETTINGS: readonly Statement[] = [
  {
    what: "no nested-loop joins in this transaction",
    query: CompiledQuery.raw("set local enable_nestloop = off"),
  },
  {
    what: "whole-org sorts and hashes in memory",
    query: CompiledQuery.raw("set local work_mem = '64MB'"),
  },
];
