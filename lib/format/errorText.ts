/** Errors in words, for one-line messages. Browser-safe. */

/** The first line of an error's message (or of the thrown value as text). */
export function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}
