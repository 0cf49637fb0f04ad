/**
 * The runtime's own log lines: pretty in a terminal, one JSON object per line
 * otherwise (or with --json), so a person and a machine can both read the output.
 *
 * Lines go through `rawWrite`, the original process.stdout.write, so the stdout
 * interceptor (local/output.ts) never mistakes them for handler output.
 */

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export interface LogSink {
  write(line: string): void;
}

export interface RuntimeLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(component: string): RuntimeLogger;
  readonly json: boolean;
  readonly level: LogLevel;
}

export interface LoggerOptions {
  json: boolean;
  level: LogLevel;
  component?: string;
  sink?: LogSink;
  /** Colours in pretty mode (a TTY that did not set NO_COLOR). */
  color?: boolean;
}

const stdoutWrite = process.stdout.write.bind(process.stdout);

/** The real stdout, captured before anything patches it. */
export const rawStdout: LogSink = { write: (line) => void stdoutWrite(line) };

const COLORS: Record<string, string> = {
  debug: "\x1b[90m",
  info: "\x1b[36m",
  warn: "\x1b[33m",
  error: "\x1b[31m",
  dim: "\x1b[2m",
  reset: "\x1b[0m",
};

export function levelAtLeast(level: string, threshold: LogLevel): boolean {
  const key = level.toLowerCase() as LogLevel;
  return (ORDER[key] ?? ORDER.info) >= ORDER[threshold];
}

export function createLogger(options: LoggerOptions): RuntimeLogger {
  const sink = options.sink ?? rawStdout;
  const component = options.component ?? "runtime";
  const color = options.color ?? false;
  const emit = (level: Exclude<LogLevel, "silent">, message: string, fields = {}) => {
    if (ORDER[level] < ORDER[options.level]) return;
    if (options.json) {
      sink.write(
        `${JSON.stringify({ timestamp: new Date().toISOString(), level: level.toUpperCase(), component, message, ...fields })}\n`,
      );
    } else {
      sink.write(`${formatPretty(level, component, message, fields, color)}\n`);
    }
  };
  return {
    json: options.json,
    level: options.level,
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (name) => createLogger({ ...options, component: name }),
  };
}

export function formatPretty(
  level: string,
  component: string,
  message: string,
  fields: Record<string, unknown>,
  color: boolean,
): string {
  const time = new Date().toTimeString().slice(0, 8);
  const lvl = level.toUpperCase().padEnd(5);
  const extras = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  const c = (name: string, text: string) =>
    color ? `${COLORS[name] ?? ""}${text}${COLORS.reset}` : text;
  return `${c("dim", time)} ${c(level.toLowerCase(), lvl)} ${component.padEnd(8)} ${message}${extras ? ` ${c("dim", extras)}` : ""}`;
}

/** A logger that prints nothing (tests). */
export const silentLogger: RuntimeLogger = createLogger({ json: true, level: "silent" });
