/**
 * `npm run load -- [options]`: load test of an EventFlow API with message accounting.
 * See `npm run load -- --help` and load-testing/README.md.
 */
import { HELP, parseOptions, UsageError } from "./core/options.js";
import { runLoad, summaryText, UnreachableError } from "./core/run.js";

async function main(): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`error: ${error.message}\n\n${HELP}`);
    return 2;
  }
  if (options === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  const tty = process.stderr.isTTY === true;
  const quiet = options.json && !tty;
  let lastLine = 0;
  let rewriting = false;
  const status = (line: string, periodic = false) => {
    if (quiet) return;
    if (tty) {
      // Progress rewrites its line; a phase change starts a line of its own.
      if (rewriting && !periodic) process.stderr.write("\n");
      process.stderr.write(`\r${line.slice(0, (process.stderr.columns || 120) - 1)}\x1b[K`);
      rewriting = periodic;
      if (!periodic) process.stderr.write("\n");
    } else if (!periodic || Date.now() - lastLine >= 5000) {
      // Not a terminal (CI, a pipe): a line every few seconds instead of a rewritten one.
      process.stderr.write(`${line}\n`);
      lastLine = Date.now();
    }
  };
  try {
    const out = await runLoad(options, { status });
    if (rewriting) process.stderr.write("\n");
    if ("sendOnly" in out) {
      // One generator of several: its ledger is merged (and the run judged) by --merge.
      if (options.json) process.stdout.write(`${JSON.stringify(out)}\n`);
      return 0;
    }
    if (options.json) process.stdout.write(`${JSON.stringify(out.result, null, 2)}\n`);
    else process.stdout.write(`${summaryText(out)}\n`);
    return out.result.ok ? 0 : 1;
  } catch (error) {
    if (rewriting) process.stderr.write("\n");
    if (error instanceof UnreachableError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main();
