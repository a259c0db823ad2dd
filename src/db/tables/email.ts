/** Table types owned by the email feature (see migrations/2026-11-28T02-email-deliveries.ts). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface EmailTables {}
