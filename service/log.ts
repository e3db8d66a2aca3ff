/**
 * The node's logger: one line per event, a message plus flat fields. Callers pass only public
 * values (ids, CIDs, addresses, error messages); keys and plaintext never reach a log call.
 */

/** Fields of a log line: public values only. */
export type LogFields = Record<string, string | number | bigint | boolean | undefined>;

/** Where the node's log lines go. */
export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** One formatted line: `level message key=value …` (bigints as decimals, strings JSON-quoted when they contain spaces). */
export function formatLogLine(level: string, message: string, fields: LogFields = {}): string {
  const parts = [level, message];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const text = String(value);
    parts.push(`${key}=${/[\s"=]/.test(text) ? JSON.stringify(text) : text}`);
  }
  return parts.join(" ");
}

/** A logger writing formatted lines to stdout (info) and stderr (warn, error). */
export function createConsoleLogger(): Logger {
  return {
    info: (message, fields) => console.log(formatLogLine("info", message, fields)),
    warn: (message, fields) => console.warn(formatLogLine("warn", message, fields)),
    error: (message, fields) => console.error(formatLogLine("error", message, fields)),
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
