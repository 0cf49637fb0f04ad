/**
 * The expression engine: JSONata (the language of rule conditions, enrichments and
 * transforms) and the RE2 engine its regex literals run on (re2js: linear time, no
 * backtracking). ~228 KiB minified, so it is a side bundle (issue 20, cold start): the
 * process and rules functions ship it as `expression-engine.js` next to `index.js` and load
 * it through expression-engine-loader.ts only when an expression needs it (the default
 * rules' expressions do not: expressions.ts). The bounds, hooks and errors stay in
 * expressions.ts, in the main file: this module only builds and checks, so an error class
 * is never duplicated across the two files.
 */
import jsonata from "jsonata";
import { RE2JS } from "re2js";

export { jsonata };

/** RegExp stand-in jsonata constructs for each regex literal: RE2 semantics, linear time. */
export class Re2Engine {
  lastIndex = 0;
  private readonly re: RE2JS;
  constructor(source: RegExp) {
    let flags = 0;
    if (source.flags.includes("i")) flags |= RE2JS.CASE_INSENSITIVE;
    if (source.flags.includes("m")) flags |= RE2JS.MULTILINE;
    this.re = RE2JS.compile(source.source, flags);
  }
  exec(input: string): (string[] & { index: number }) | null {
    const m = this.re.matcher(input);
    if (this.lastIndex > input.length || !m.find(this.lastIndex)) return null;
    const groups: string[] = [];
    for (let i = 0; i <= m.groupCount(); i++) groups.push(m.group(i) ?? "");
    const start = m.start();
    const end = m.end();
    // A zero-length match advances by one, as RegExp's global exec does.
    this.lastIndex = end === start ? end + 1 : end;
    return Object.assign(groups, { index: start });
  }
}
