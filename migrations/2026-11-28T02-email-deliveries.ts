/** Placeholder for the email delivery ledger (email issue): filled in by that work before it lands. */
import type { Kysely } from "kysely";

export async function up(_db: Kysely<unknown>): Promise<void> {}

export async function down(_db: Kysely<unknown>): Promise<void> {}
