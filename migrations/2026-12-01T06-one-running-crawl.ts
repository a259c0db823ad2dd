/**
 * At most one running crawl per org, enforced by the database: finding a running run and
 * creating one used to be two statements, so two processes released together both created
 * one and each marked the other's users removed. A partial unique index makes the second
 * claim fail on both backends (no advisory locks: PGlite is one session). Extra running runs
 * left by killed processes before this index existed are closed as abandoned first.
 * `abandoned` is a new terminal status: a run given up on purpose (--restart, a different
 * --strategy, a checkpoint too old to resume), never resumed and never reported.
 */
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`update crawl_runs r set status = 'abandoned', finished_at = r.heartbeat_at,
      error = 'abandoned: an older running run of an org that had several'
    where r.status = 'running' and exists (select 1 from crawl_runs n
      where n.org_id = r.org_id and n.status = 'running' and n.run_id > r.run_id)`.execute(db);
  await sql`create unique index crawl_runs_one_running_per_org on crawl_runs (org_id)
    where status = 'running'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index crawl_runs_one_running_per_org`.execute(db);
  await sql`update crawl_runs set status = 'failed' where status = 'abandoned'`.execute(db);
}
