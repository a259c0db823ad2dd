/** Static vocabularies the generator draws from. */

/** A product the generator can place on a site. */
export interface ProductKind {
  /** Key in last-active-dates / v1 (`jira-software`, …; the spec's `Product.key` enum). */
  key: string;
  /** Key in v2 `productAccess[]` (`jira`, `confluence`, …). */
  v2Key: string;
  /** Product segment of the ARI and the role-assignment `resourceOwner`. */
  ariOwner: string;
  /** Workspace `attributes.type`. */
  family: string;
  name: string;
  /** Short name used in group names (`jira-software-users-acme`). */
  groupStem: string;
}

export const PRODUCTS: readonly ProductKind[] = [
  {
    key: "jira-software",
    v2Key: "jira",
    ariOwner: "jira-software",
    family: "jira",
    name: "Jira Software",
    groupStem: "jira-software",
  },
  {
    key: "confluence",
    v2Key: "confluence",
    ariOwner: "confluence",
    family: "confluence",
    name: "Confluence",
    groupStem: "confluence",
  },
  {
    key: "jira-service-desk",
    v2Key: "jira-servicedesk",
    ariOwner: "jira-servicedesk",
    family: "jira",
    name: "Jira Service Management",
    groupStem: "jira-servicemanagement",
  },
  {
    key: "jira-core",
    v2Key: "jira-core",
    ariOwner: "jira-core",
    family: "jira",
    name: "Jira Work Management",
    groupStem: "jira-core",
  },
  {
    key: "opsgenie",
    v2Key: "opsgenie",
    ariOwner: "opsgenie",
    family: "opsgenie",
    name: "Opsgenie",
    groupStem: "opsgenie",
  },
  {
    key: "statuspage",
    v2Key: "statuspage",
    ariOwner: "statuspage",
    family: "statuspage",
    name: "Statuspage",
    groupStem: "statuspage",
  },
];

export const FIRST_NAMES = [
  "Ada",
  "Alan",
  "Grace",
  "Linus",
  "Margaret",
  "Dennis",
  "Barbara",
  "Ken",
  "Radia",
  "Edsger",
  "Frances",
  "John",
  "Hedy",
  "Tim",
  "Katherine",
  "Donald",
  "Shafi",
  "Leslie",
  "Sophie",
  "Guido",
  "Anita",
  "Bjarne",
  "Carol",
  "Niklaus",
  "Joan",
  "James",
  "Mary",
  "Robert",
  "Lynn",
  "Yukihiro",
  "Priya",
  "Wei",
  "Fatima",
  "Mateo",
  "Aisha",
  "Kenji",
  "Olga",
  "Tariq",
  "Ingrid",
  "Kwame",
] as const;

export const LAST_NAMES = [
  "Lovelace",
  "Turing",
  "Hopper",
  "Torvalds",
  "Hamilton",
  "Ritchie",
  "Liskov",
  "Thompson",
  "Perlman",
  "Dijkstra",
  "Allen",
  "McCarthy",
  "Lamarr",
  "Berners-Lee",
  "Johnson",
  "Knuth",
  "Goldwasser",
  "Lamport",
  "Wilson",
  "van Rossum",
  "Borg",
  "Stroustrup",
  "Shaw",
  "Wirth",
  "Clarke",
  "Gosling",
  "Keller",
  "Kahn",
  "Conway",
  "Matsumoto",
  "Sharma",
  "Zhang",
  "Haddad",
  "Garcia",
  "Okafor",
  "Tanaka",
  "Ivanova",
  "Rahman",
  "Larsen",
  "Mensah",
] as const;

export const DEPARTMENTS = [
  "Engineering",
  "Sales",
  "Marketing",
  "Support",
  "Finance",
  "Human Resources",
  "Legal",
  "Operations",
  "Product",
  "Design",
] as const;

export const JOB_TITLES = [
  "Software Engineer",
  "Senior Software Engineer",
  "Product Manager",
  "Designer",
  "Support Agent",
  "Account Executive",
  "Analyst",
  "Engineering Manager",
  "Recruiter",
  "Controller",
] as const;

export const LOCATIONS = [
  ["New York", "America/New_York"],
  ["San Francisco", "America/Los_Angeles"],
  ["London", "Europe/London"],
  ["Berlin", "Europe/Berlin"],
  ["Sydney", "Australia/Sydney"],
  ["Bangalore", "Asia/Kolkata"],
  ["Tokyo", "Asia/Tokyo"],
] as const;

export const SITE_WORDS = [
  "acme",
  "globex",
  "initech",
  "umbrella",
  "hooli",
  "stark",
  "wayne",
  "wonka",
  "tyrell",
  "cyberdyne",
  "aperture",
  "soylent",
] as const;

export const IDP_GROUP_STEMS = ["okta", "azure-ad", "scim"] as const;

export const TEAM_NAMES = [
  "engineering",
  "sales",
  "marketing",
  "support",
  "finance",
  "hr",
  "legal",
  "ops",
] as const;

export const BOT_NAMES = [
  "Jenkins CI",
  "Slack Integration",
  "Automation for Jira",
  "GitHub for Jira",
  "Zapier",
  "Backup Bot",
  "Tempo Timesheets",
  "Opsgenie Integration",
] as const;
