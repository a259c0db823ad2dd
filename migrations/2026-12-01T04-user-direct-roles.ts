/**
 * Product roles a user holds directly (not through a group), read from the user's
 * role-assignments when the user's resource count says there is more than their groups grant.
 * A directly granted seat that was never used has no activity anywhere else, so without this
 * table it would be invisible: exactly the seat most worth reclaiming.
 */
import type { Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("user_direct_roles")
    .addColumn("org_id", "text", (c) => c.notNull())
    .addColumn("account_id", "text", (c) => c.notNull())
    .addColumn("resource_id", "text", (c) => c.notNull())
    .addColumn("role", "text", (c) => c.notNull())
    .addColumn("product_key", "text")
    // the run that read it; rows of older runs are replaced when the user is read again
    .addColumn("run_id", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("user_direct_roles_pk", [
      "org_id",
      "account_id",
      "resource_id",
      "role",
    ])
    .addForeignKeyConstraint(
      "user_direct_roles_user_fk",
      ["org_id", "account_id"],
      "users",
      ["org_id", "account_id"],
      (fk) => fk.onDelete("cascade"),
    )
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("user_direct_roles").execute();
}
