/**
 * SQL over history on DuckDB (bin/tools/history-sql.ts): `events` keeps each event's latest
 * revision across compacted, by-tenant batch and staged files (every tenant in one file, not
 * yet split), `events_archive` keeps every row, tenant and day come from the keys (or the
 * staged file's tenant column), and the Athena text defines the same views in front of a
 * query, over both Glue tables.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryDuckDb, withEventsView } from "../../../bin/tools/history-sql.js";
import { encodeArchiveRows } from "../../../lambdas/adapters/parquet-archive.js";
import { type ArchiveRow, revisionOf } from "../../../lambdas/domain/archive.js";
import { STAGED_COLUMNS } from "../../../lib/contracts/archive.js";

let root: string;

const row = (
  id: string,
  revision: number,
  status = "processed",
  type = "purchase",
): ArchiveRow => ({
  id,
  type,
  source: null,
  subject: `s-${id}`,
  time: null,
  received_at: Date.parse("2026-12-05T10:00:00Z"),
  status,
  correlation_id: "c",
  attempts: 1,
  processed_at: null,
  failed_at: null,
  failure_kind: null,
  failure_reason: null,
  replay_id: null,
  schema_version: null,
  ruleset_version: null,
  routes: null,
  rule_errors: null,
  data: "{}",
  enrichment: null,
  cloud_event: null,
  revision: revisionOf(revision, String(revision)),
  archived_at: 0,
});

function file(tenant: string, day: string, name: string, rows: ArchiveRow[]) {
  const dir = join(root, "events", `tenant=${tenant}`, `day=${day}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.parquet.data`), encodeArchiveRows(rows));
}

function staged(day: string, name: string, rows: (ArchiveRow & { tenant: string })[]) {
  const dir = join(root, "staging", `day=${day}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.parquet.data`), encodeArchiveRows(rows, STAGED_COLUMNS));
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "history-sql-"));
  file("acme", "2026-12-05", "compact-1", [row("a", 1, "failed"), row("b", 1)]);
  // After compaction: a's replay (newer), and c twice (a retried batch).
  file("acme", "2026-12-05", "part-2", [row("a", 2), row("c", 3)]);
  file("acme", "2026-12-05", "part-3", [row("c", 3)]);
  file("globex", "2026-12-06", "part-1", [row("g", 1, "processed", "signup")]);
  // Not yet split: one staged file with both tenants' rows (b's newer revision, a new one each).
  staged("2026-12-05", "part-9", [
    { ...row("b", 9, "failed"), tenant: "acme" },
    { ...row("d", 9), tenant: "acme" },
    { ...row("h", 9, "processed", "signup"), tenant: "globex" },
  ]);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("queryDuckDb", () => {
  it("answers one row per event, its latest revision", async () => {
    const result = await queryDuckDb(
      root,
      "SELECT tenant, day, id, status FROM events ORDER BY tenant, id",
    );
    expect(result.rows).toEqual([
      ["acme", "2026-12-05", "a", "processed"],
      ["acme", "2026-12-05", "b", "failed"],
      ["acme", "2026-12-05", "c", "processed"],
      ["acme", "2026-12-05", "d", "processed"],
      ["globex", "2026-12-06", "g", "processed"],
      ["globex", "2026-12-05", "h", "processed"],
    ]);
    const all = await queryDuckDb(
      root,
      "SELECT count(*) FROM events_archive WHERE tenant = 'acme'",
    );
    expect(all.rows).toEqual([["7"]]);
  });

  it("counts by type and day, pruned by tenant", async () => {
    const result = await queryDuckDb(
      root,
      "SELECT type, day, count(*) AS n FROM events WHERE tenant = 'acme' AND day >= '2026-12-01' GROUP BY ALL",
    );
    expect(result.columns).toEqual(["type", "day", "n"]);
    expect(result.rows).toEqual([["purchase", "2026-12-05", "4"]]);
  });

  it("answers an empty archive with no rows rather than an error", async () => {
    const empty = mkdtempSync(join(tmpdir(), "history-sql-empty-"));
    expect((await queryDuckDb(empty, "SELECT count(*) FROM events")).rows).toEqual([["0"]]);
    rmSync(empty, { recursive: true, force: true });
  });
});

describe("withEventsView (Athena)", () => {
  it("defines events_archive (both Glue tables) and events in front of the query, merging a query's own WITH", () => {
    expect(withEventsView("SELECT 1 FROM events")).toMatch(
      /^WITH archive_files AS \(.* FROM events_by_tenant UNION ALL .* FROM events_staged\), events_archive AS \(.*\), latest_parts AS \(.*\), events AS \(.*\) SELECT 1 FROM events$/s,
    );
    expect(withEventsView("with x AS (SELECT 1) SELECT * FROM x")).toMatch(
      /^WITH archive_files AS .*, events AS \(.*\), x AS \(SELECT 1\) SELECT \* FROM x$/s,
    );
    expect(withEventsView("SELECT 1")).toContain(`file_path LIKE '%/compact-%'`);
  });
});
