/**
 * The node's logger: one line per event, a message plus flat fields. Callers pass only public
 * values (ids, CIDs, addresses, error messages); keys and plaintext never reach a log call.
 */

import { LOG_LEVELS, type LogLevel } from "../lib/config/index.js";

/** Fields of a log line: public values only. */
export type LogFields = Record<string, string | number | bigint | boolean | undefined>;

/** Where the node's log lines go. */
export interface Logger {
  /** Routine noise worth having when debugging (e.g. a client that hung up mid-request). */
  debug(message: string, fields?: LogFields): void;
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

/**
 * A logger writing formatted lines to stdout (debug, info) and stderr (warn, error), dropping the
 * levels below `minLevel` (DATABANK_LOG_LEVEL; default "info", so debug lines are not written).
 */
export function createConsoleLogger(minLevel: LogLevel = "info"): Logger {
  const enabled = (level: LogLevel) => LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(minLevel);
  const line =
    (level: LogLevel, write: (text: string) => void) => (message: string, fields?: LogFields) => {
      if (enabled(level)) write(formatLogLine(level, message, fields));
    };
  return {
    debug: line("debug", (text) => console.log(text)),
    info: line("info", (text) => console.log(text)),
    warn: line("warn", (text) => console.warn(text)),
    error: line("error", (text) => console.error(text)),
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
