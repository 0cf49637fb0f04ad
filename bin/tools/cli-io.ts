/**
 * What a CLI does to the world, in one place: each CLI takes the part it uses
 * (`Pick<CliIo, ...>`), so its tests hand it fakes, and runs with `DEFAULT_CLI_IO`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { processIsAlive } from "./local-runtime.js";

export interface CliIo {
  fetch: typeof fetch;
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  /** A file's text; `-` reads standard input. */
  readFile: (path: string) => string;
  writeFile: (path: string, text: string) => void;
  /** Whether a process id names a live process (the local runtime's pid file). */
  isAlive: (pid: number) => boolean;
}

export const DEFAULT_CLI_IO: CliIo = {
  fetch: (...args) => fetch(...args),
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  now: () => new Date(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  readFile: (path) => readFileSync(path === "-" ? 0 : path, "utf8"),
  writeFile: (path, text) => writeFileSync(path, text),
  isAlive: processIsAlive,
};

/**
 * Rows under a header, columns padded to their widest cell (the last one not padded);
 * `clip` shortens longer cells of the rows (not the header) to that many characters.
 */
export function printTable(
  out: (line: string) => void,
  header: string[],
  rows: string[][],
  options: { clip?: number } = {},
): void {
  const { clip } = options;
  const cut = (s: string) =>
    clip !== undefined && s.length > clip ? `${s.slice(0, clip - 3)}...` : s;
  const cells = [header, ...rows.map((r) => r.map(cut))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  for (const row of cells) {
    out(
      row
        .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join("  ")
        .trimEnd(),
    );
  }
}
