/**
 * The business rules, each written once: activity windows and seat states (activity.ts),
 * billable and protected accounts (accounts.ts), the suggested action (actions.ts), and
 * one user's seats through all of them (classify.ts).
 * The repositories' SQL, the reports, the email and the policy step all import them from here.
 */
export * from "./activity.ts";
export * from "./accounts.ts";
export * from "./actions.ts";
export * from "./classify.ts";
