/** Command-line options of `npm run bench`, parsed without side effects. */
import { parseArgs } from "node:util";

export const SECTIONS = [
  "handlers",
  "coldstart",
  "cost",
  "json",
  "rules",
  "sdk",
  "windows",
  "schemas",
  "history",
  "pipeline",
] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  sections: Section[];
  quick: boolean;
  /** JSON report path; default reports/bench-<timestamp>.json. */
  out?: string;
}

export const HELP = `Usage: npm run bench -- [options]

Measures the handlers' CPU cost in-process, the functions' bundle sizes and cold-start
init times, and the cost per million events. Prints every figure with how it was
measured and writes them all to reports/bench-<timestamp>.json. The json section times
a body holding one long number literal against a string body of the same size. The
rules section measures the process function's CPU per event with 0, 1, 5 and 10 rules.
sdk section starts a local runtime and compares one producer SDK instance with raw
autocannon requests of the same batch size, and measures the SDK's CPU per event. The
schemas section times ingest with a 20-property schema in enforce against no schema, and
the time from registering a version to its enforcement. The
history section prices the archive per million events, measures the local archive's lag
(stored -> queryable) at 500 events/s and DuckDB over 10 million archived events. The
pipeline section runs the local runtime at default settings, sends 3 x 15,000 events at
500 events/s and prints its CPU per event (every thread, from /proc: Linux only), split
into main thread, worker threads and V8's helper threads.

  --only LIST   sections to run, comma-separated: ${SECTIONS.join(", ")} (default: all)
  --quick       fewer iterations and shorter runs: a smoke test, not a measurement
  --out FILE    JSON report path (default reports/bench-<timestamp>.json)
  --help        this text
`;

export class BenchUsageError extends Error {}

export function parseBenchOptions(argv: readonly string[]): BenchOptions | "help" {
  let values: { only?: string; quick?: boolean; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        only: { type: "string" },
        quick: { type: "boolean" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
  if (values.help) return "help";
  let sections: Section[] = [...SECTIONS];
  if (values.only !== undefined) {
    const names = values.only
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
    if (names.length === 0 || unknown.length > 0) {
      throw new BenchUsageError(
        `--only takes ${SECTIONS.join("|")} (comma-separated), got "${values.only}"`,
      );
    }
    // In the canonical order, each once.
    sections = SECTIONS.filter((s) => names.includes(s));
  }
  return {
    sections,
    quick: values.quick ?? false,
    ...(values.out ? { out: values.out } : {}),
  };
}
