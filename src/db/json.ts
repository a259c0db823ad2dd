/** Serialise a value for a jsonb column (the one way to write jsonb on both backends). */
export function json(value: unknown): string {
  return JSON.stringify(value);
}
